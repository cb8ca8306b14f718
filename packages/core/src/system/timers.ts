/**
 * Timers: `sendAfter` and `cancelTimer` on the injected clock. A timer set by an actor dies with the actor, as in
 * Erlang, so a stopped actor never leaves work behind.
 */
import type { Address } from '../actor/ctx.ts'
import type { Clock, TimerHandle } from '../clock.ts'
import { InvalidOptionError } from '../errors.ts'
import type { Ref } from '../ref.ts'
import type { Actor } from './actor.ts'
import type { ProcessTable } from './process-table.ts'
import type { Router } from './router.ts'

interface Timer {
  handle: TimerHandle
  owner: Actor | undefined
}

export class Timers {
  readonly #table: ProcessTable
  readonly #router: Router
  readonly #clock: Clock
  readonly #timers = new Map<string, Timer>()

  constructor(table: ProcessTable, router: Router, clock: Clock) {
    this.#table = table
    this.#router = router
    this.#clock = clock
  }

  get size(): number {
    return this.#timers.size
  }

  sendAfter(to: Address, msg: unknown, delayMs: number, owner: Actor | undefined): Ref {
    // Node's setTimeout would fire NaN, a negative delay or a string after 1 ms, which reads as a message sent early.
    if (!isDelayMs(delayMs)) throw new InvalidOptionError('delayMs', delayMs, 'a finite number of milliseconds, 0 or more')
    const ref = this.#table.makeRef()
    const key = ref.key
    const handle = this.#clock.setTimeout(() => {
      const timer = this.#timers.get(key)
      if (timer === undefined) return
      this.#timers.delete(key)
      timer.owner?.timers?.delete(key)
      this.#router.route(to, msg, undefined)
    }, delayMs)
    this.#timers.set(key, { handle, owner })
    owner?.addTimer(key)
    return ref
  }

  cancel(ref: Ref): boolean {
    return this.cancelKey(ref.key)
  }

  cancelKey(key: string): boolean {
    const timer = this.#timers.get(key)
    if (timer === undefined) return false
    this.#timers.delete(key)
    timer.owner?.timers?.delete(key)
    this.#clock.clearTimeout(timer.handle)
    return true
  }

  cancelAll(): void {
    for (const key of [...this.#timers.keys()]) this.cancelKey(key)
  }
}

/** True for a delay a timer can wait: a finite number of milliseconds, 0 or more (past 2^31 - 1 the clock chains). */
export function isDelayMs(ms: unknown): ms is number {
  return typeof ms === 'number' && ms >= 0 && ms !== Infinity
}
