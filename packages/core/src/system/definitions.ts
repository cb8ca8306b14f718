/**
 * Definitions: behaviours registered under a name with `system.define`, so that another node can spawn them and so
 * that `system.upgrade` can replace a server behaviour in place. Each upgrade bumps the version; running actors
 * compare versions at their next message and migrate their state with `codeChange`.
 */
import type { Behaviour } from '../actor/behaviour.ts'
import { isProcessFunction } from '../actor/behaviour.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import { CohortError } from '../errors.ts'

export type Definition =
  | { kind: 'server'; behaviour: ServerBehaviour; version: number; extra: unknown }
  | { kind: 'process'; behaviour: Behaviour; version: number; extra: unknown }

export class Definitions {
  readonly #defs = new Map<string, Definition>()

  get(name: string): Definition | undefined {
    return this.#defs.get(name)
  }

  /** @throws CohortError (COHORT_ERR_UNKNOWN_BEHAVIOUR) */
  require(name: string): Definition {
    const def = this.#defs.get(name)
    if (def === undefined) {
      throw new CohortError('COHORT_ERR_UNKNOWN_BEHAVIOUR', `no behaviour is defined as ${JSON.stringify(name)}; call system.define(${JSON.stringify(name)}, behaviour) first`)
    }
    return def
  }

  /** @throws CohortError (COHORT_ERR_NAME_TAKEN) when `name` is defined already; use upgrade to replace it. */
  define(name: string, behaviour: Behaviour): void {
    if (this.#defs.has(name)) {
      throw new CohortError('COHORT_ERR_NAME_TAKEN', `a behaviour is already defined as ${JSON.stringify(name)}; use system.upgrade to replace it`)
    }
    this.#defs.set(name, isProcessFunction(behaviour)
      ? { kind: 'process', behaviour, version: 1, extra: undefined }
      : { kind: 'server', behaviour, version: 1, extra: undefined })
  }

  /** @throws CohortError (COHORT_ERR_UNKNOWN_BEHAVIOUR) when `name` is not a defined server behaviour. */
  upgrade(name: string, behaviour: ServerBehaviour, extra: unknown): void {
    const def = this.require(name)
    if (def.kind !== 'server' || isProcessFunction(behaviour as Behaviour)) {
      throw new CohortError('COHORT_ERR_UNKNOWN_BEHAVIOUR', `${JSON.stringify(name)} is not a server behaviour; only server behaviours can be upgraded in place`)
    }
    this.#defs.set(name, { kind: 'server', behaviour, version: def.version + 1, extra })
  }
}
