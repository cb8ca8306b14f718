/**
 * TestClock: virtual time for tests. `now()` stands still until `advance(ms)`, which fires due timers in due-time
 * order (first in, first out among timers due at the same instant) and lets the systems run between firings, so
 * a test reads as a timeline with no real waiting. `setImmediate` is real: yielding to the event loop is not time.
 */
import type { Clock, TimerHandle } from '../clock.ts'

interface VirtualTimer {
  id: number
  due: number
  fn: () => void
}

/** A clock that moves only when told. */
export class TestClock implements Clock {
  #now: number
  #nextId = 1
  #timers: VirtualTimer[] = []
  /** Runs between firings so actors and networks reach quiet; set by InMemoryNetwork. */
  quiesce: () => Promise<void> = () => new Promise((resolve) => setImmediate(resolve))

  constructor(startMs = 0) {
    this.#now = startMs
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, due: this.#now + Math.max(0, ms), fn }
    this.#timers.push(timer)
    return timer.id
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle)
  }

  setImmediate(fn: () => void): void {
    setImmediate(fn)
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length
  }

  /** When the next timer is due, if any. */
  nextDue(): number | undefined {
    let min: number | undefined
    for (const t of this.#timers) if (min === undefined || t.due < min) min = t.due
    return min
  }

  /** Fires the timers due now (none ahead in time); resolves when the systems are quiet again. */
  async runDue(): Promise<number> {
    return this.#fireUntil(this.#now)
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    await this.#fireUntil(this.#now + ms)
  }

  /** Moves time to the next due timer and fires it (and any due at the same instant). */
  async advanceToNext(): Promise<boolean> {
    const due = this.nextDue()
    if (due === undefined) return false
    await this.#fireUntil(due)
    return true
  }

  async #fireUntil(target: number): Promise<number> {
    let fired = 0
    await this.quiesce()
    for (;;) {
      let next: VirtualTimer | undefined
      for (const t of this.#timers) {
        if (t.due <= target && (next === undefined || t.due < next.due || (t.due === next.due && t.id < next.id))) next = t
      }
      if (next === undefined) break
      this.#timers = this.#timers.filter((t) => t !== next)
      if (next.due > this.#now) this.#now = next.due
      next.fn()
      fired++
      await this.quiesce()
    }
    if (target > this.#now) this.#now = target
    return fired
  }
}
