/**
 * The clock: the only source of time and timers in the packages. Injected everywhere so that `@cohort/core/testing`
 * can run several systems in virtual time. `systemClock` is the real one.
 */

/** An opaque timer handle. */
export type TimerHandle = unknown

/** Time and timers, as the runtime sees them. */
export interface Clock {
  /** Milliseconds since the epoch (virtual under a TestClock). */
  now(): number
  /** Calls `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
  /**
   * Calls `fn` after pending I/O has had a turn. Only the scheduler uses this, to yield to the event loop; it is not
   * a time, so a TestClock runs it for real.
   */
  setImmediate(fn: () => void): void
}

/** The real clock: `Date.now`, Node's timers and `setImmediate`. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): TimerHandle => {
    const t = setTimeout(fn, ms)
    // Timers must never keep a process alive on their own: a node is kept alive by its sockets.
    t.unref?.()
    return t
  },
  clearTimeout: (handle: TimerHandle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setImmediate: (fn: () => void) => {
    setImmediate(fn)
  },
})
