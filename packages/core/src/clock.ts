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
  /**
   * `now()` as read at the first call in the current event-loop turn: cheaper when read often, and behind by at most
   * how long the turn has run so far, as libuv's own timers are (they read the time once per loop iteration).
   * Optional: without it, `now()` is used.
   */
  turnNow?(): number
  /** Calls `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
  /**
   * Calls `fn` after pending I/O has had a turn. Only the scheduler uses this, to yield to the event loop; it is not
   * a time, so a TestClock runs it for real.
   */
  setImmediate(fn: () => void): void
}

/** `turnNow`'s reading, valid until the turn ends (`setImmediate` runs after the turn's I/O callbacks). */
let turnTime = 0
let turnTimeValid = false
const turnEnded = (): void => {
  turnTimeValid = false
}

/** The real clock: `Date.now`, Node's timers and `setImmediate`. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  // A remote call reads the time for its deadline: Date.now was 2 % of a caller's CPU with 100 calls in flight, where
  // a turn starts about fifty of them.
  turnNow: (): number => {
    if (!turnTimeValid) {
      turnTime = Date.now()
      turnTimeValid = true
      setImmediate(turnEnded)
    }
    return turnTime
  },
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
