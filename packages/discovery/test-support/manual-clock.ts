/**
 * A manual clock for unit tests: time moves only when a test calls `advance`, timers fire in due order (FIFO among
 * equal times), and pending promise callbacks and I/O callbacks run between firings, so async code chained on a timer
 * has settled when `advance` returns. No real sleeps.
 */
import type { Clock } from '@cohort/core'

interface Timer {
  id: number
  at: number
  fn: () => void
}

/** Lets queued microtasks and already-due I/O callbacks run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

export class ManualClock implements Clock {
  #now: number
  #next = 1
  #timers: Timer[] = []

  constructor(start = 1_700_000_000_000) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { id: this.#next++, at: this.#now + Math.max(0, ms), fn }
    this.#timers.push(timer)
    return timer.id
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle)
  }

  setImmediate(fn: () => void): void {
    setImmediate(fn)
  }

  /** Pending timers' delays from now, in due order. */
  pending(): number[] {
    return this.#sorted().map((t) => t.at - this.#now)
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms
    await flush()
    for (;;) {
      const due = this.#sorted()[0]
      if (due === undefined || due.at > end) break
      this.#timers = this.#timers.filter((t) => t !== due)
      this.#now = due.at
      due.fn()
      await flush()
    }
    this.#now = end
    await flush()
  }

  #sorted(): Timer[] {
    return [...this.#timers].sort((a, b) => a.at - b.at || a.id - b.id)
  }
}
