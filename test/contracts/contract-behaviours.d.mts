import type { ActorSystem, ServerBehaviour } from '@cohort/core'
export declare const echo: ServerBehaviour
export declare const collector: ServerBehaviour
export declare const quitter: ServerBehaviour
export declare const sender: ServerBehaviour
export declare const relay: ServerBehaviour
export declare function defineContractBehaviours(system: ActorSystem): void
