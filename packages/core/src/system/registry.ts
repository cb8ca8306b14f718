/**
 * Registry: the local name table of a node. A name maps to one live process and a process has at most one name, as
 * in Erlang; a process that exits loses its name.
 */
import { CohortError } from '../errors.ts'
import type { Actor } from './actor.ts'

export class Registry {
  readonly #names = new Map<string, Actor>()

  get(name: string): Actor | undefined {
    return this.#names.get(name)
  }

  /** @throws CohortError (COHORT_ERR_NAME_TAKEN) when the name or the actor already has a registration. */
  register(name: string, actor: Actor): void {
    if (typeof name !== 'string' || name.length === 0) {
      throw new CohortError('COHORT_ERR_INVALID_OPTION', `invalid name ${JSON.stringify(name)}: expected a non-empty string`)
    }
    const holder = this.#names.get(name)
    if (holder !== undefined) {
      throw new CohortError('COHORT_ERR_NAME_TAKEN', `the name ${JSON.stringify(name)} is already registered to ${String(holder.pid)}`)
    }
    if (actor.name !== undefined) {
      throw new CohortError('COHORT_ERR_NAME_TAKEN', `${String(actor.pid)} is already registered as ${JSON.stringify(actor.name)}`)
    }
    this.#names.set(name, actor)
    actor.name = name
  }

  unregister(name: string): void {
    const actor = this.#names.get(name)
    if (actor === undefined) return
    this.#names.delete(name)
    actor.name = undefined
  }

  names(): string[] {
    return [...this.#names.keys()]
  }
}
