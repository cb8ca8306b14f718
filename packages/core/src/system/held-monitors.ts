/**
 * HeldMonitors: the monitors one process holds, by ref. Most processes hold none or one (a call's callback process holds
 * exactly one), so a lone monitor lives in a field and a Map is made only for a second. A Map per call was a sixth of
 * what a remote call allocated: its table, and a smaller one V8 made when its one entry was deleted.
 *
 * Keyed by ref id: a process only holds monitors whose refs its own node made. A ref is still compared in full, since
 * one from elsewhere (a hostile `down`, a stale reply) may share the id.
 */
import type { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import type { MonitorTarget } from '../signals.ts'

/** A monitor held by a process. */
export interface HeldMonitor {
  readonly ref: Ref
  readonly target: MonitorTarget
  /** The node the monitored process lives on. */
  readonly node: string
  /** The local process monitored, when it is local (to cancel it). */
  readonly pid: Pid | undefined
}

export class HeldMonitors {
  /** The only monitor held, while there is at most one (`#many` is then undefined). */
  #one: HeldMonitor | undefined = undefined
  /** Every monitor held, in the order they were set up, once there were two at a time. */
  #many: Map<number, HeldMonitor> | undefined = undefined

  get size(): number {
    return this.#many !== undefined ? this.#many.size : this.#one === undefined ? 0 : 1
  }

  /** The monitor `ref`, if this process holds it. */
  get(ref: Ref): HeldMonitor | undefined {
    const held = this.#many !== undefined ? this.#many.get(ref.id) : this.#one
    return held !== undefined && held.ref.equals(ref) ? held : undefined
  }

  add(held: HeldMonitor): void {
    if (this.#many !== undefined) {
      this.#many.set(held.ref.id, held)
    } else if (this.#one === undefined) {
      this.#one = held
    } else {
      this.#many = new Map([
        [this.#one.ref.id, this.#one],
        [held.ref.id, held],
      ])
      this.#one = undefined
    }
  }

  /** Forgets the monitor `ref`; false if it was not held. */
  delete(ref: Ref): boolean {
    if (this.get(ref) === undefined) return false
    if (this.#many === undefined) {
      this.#one = undefined
    } else {
      this.#many.delete(ref.id)
      if (this.#many.size === 0) this.#many = undefined
    }
    return true
  }

  /**
   * Forgets the monitor whose ref is this node's ref `id` of its current incarnation (the caller has checked the
   * incarnation): every monitor a process holds has a ref its own node made.
   */
  deleteOwn(id: number): void {
    if (this.#many === undefined) {
      if (this.#one?.ref.id === id) this.#one = undefined
    } else if (this.#many.delete(id) && this.#many.size === 0) {
      this.#many = undefined
    }
  }

  /** The monitors held, in the order they were set up: a copy, safe to iterate while they change. */
  list(): HeldMonitor[] {
    if (this.#many !== undefined) return [...this.#many.values()]
    return this.#one === undefined ? [] : [this.#one]
  }
}
