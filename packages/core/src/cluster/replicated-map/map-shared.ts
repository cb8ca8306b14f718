/**
 * What a replicated map's handle (map-handle.ts) and its actor (map-actor.ts) share: the messages the actor takes,
 * the parts of one node's replica, and the two messages the handle sends itself.
 */
import type { Pid } from '../../pid.ts'
import type { ActorSystem } from '../../system/actor-system.ts'
import type { Peers } from '../peers.ts'
import type { RangeHashShift, WireVersions, WireWant } from './catch-up.ts'
import type { CatchUpRounds, RoundShare } from './catch-up-rounds.ts'
import type { DeltaOutbox } from './delta-outbox.ts'
import type { DeltaFields } from './delta-batch.ts'
import type { ReplicaStore } from './replica-store.ts'
import type { ReplicatedMapOptions } from './map-api.ts'
import type { CollectFields, TombstoneAcks } from './tombstone-acks.ts'

export type MapMessage =
  | { t: 'discover'; peer: Pid }
  | { t: 'hello'; peer: Pid }
  | ({ t: 'delta'; peer: Pid; seq?: number } & DeltaFields)
  | { t: 'ack'; peer: Pid; seq: number }
  | ({ t: 'collect'; peer: Pid } & CollectFields)
  // The steps of a catch-up, each with its round's share when the round is counted (catch-up-rounds.ts).
  | ({ t: 'ranges'; peer: Pid; parents: number[]; hashes: Uint8Array; shift?: RangeHashShift } & Partial<RoundShare>)
  | ({ t: 'versions'; peer: Pid } & WireVersions & Partial<RoundShare>)
  | ({ t: 'want'; peer: Pid } & WireWant & Partial<RoundShare>)
  /** A share of a round handed back: after the entries it follows, or from a step that answered with nothing. */
  | ({ t: 'settled'; peer: Pid } & RoundShare)
  /** The round's starter holds its whole weight again: the two replicas are caught up with each other. */
  | { t: 'caughtup'; peer: Pid; round: number }
  | { t: 'flush' }
  | { t: 'sweep' }
  | { t: 'arm' }
  | { t: 'sync' }
  | { t: 'nodeup'; node: string }
  // A write confirmation (write-confirmations.ts): asked after the batches it waits for, answered once they applied.
  | { t: 'ping'; peer: Pid; id: number }
  | { t: 'pong'; peer: Pid; id: number }
  | { t: 'confirmTimeout'; id: number }

/**
 * What the handle asks of the actor (`synced`, `replicatedTo`): a confirmation by `atLeast` peers of the entries the
 * outbox had queued when it counted `upTo`, within `timeoutMs` (Infinity: no limit).
 */
export interface ConfirmRequest {
  readonly t: 'confirm'
  readonly atLeast: number
  readonly upTo: number
  readonly timeoutMs: number
}

/** The registered name of a map scope's actor on every node. */
export function replicatedMapActorName(scope: string): string {
  return `cohort.rmap.${scope}`
}

/** What the handle and the actor share. */
export interface Shared<V> {
  readonly system: ActorSystem
  readonly options: Readonly<Required<ReplicatedMapOptions>>
  readonly store: ReplicaStore<V>
  readonly outbox: DeltaOutbox
  readonly acks: TombstoneAcks
  readonly peers: Peers
  /** The catch-up rounds this node started, and the peers it has caught up with. */
  readonly rounds: CatchUpRounds
  /** When the sweep timer is armed for (Infinity: not armed). */
  armedAt: number
  armRequested: boolean
  /** Sends the pending changes now, in the caller's turn (`ReplicatedMap.flush`); set by the actor when it starts. */
  flushNow: (() => void) | undefined
}

/** Asks the actor to send the outbox's pending changes. */
export const FLUSH: MapMessage = Object.freeze({ t: 'flush' })
/** Asks the actor to re-arm its sweep timer. */
export const ARM: MapMessage = Object.freeze({ t: 'arm' })

/** Forgets what was pending for, or acknowledged by, a peer node that left. */
export function dropPeer<V>(shared: Shared<V>, node: string): void {
  shared.outbox.dropPeer(node)
  shared.acks.dropPeer(node, shared.system.clock.now())
  shared.rounds.dropPeer(node)
}
