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

/**
 * The longest delay Node's `setTimeout` holds (a signed 32-bit count of milliseconds, about 24.8 days). A longer one
 * does not wait longer: Node fires it after 1 ms with a TimeoutOverflowWarning, so a 30-day `sendAfter` would arrive
 * at once.
 */
export const MAX_NODE_TIMEOUT_MS = 2 ** 31 - 1

/** A Node timer that never keeps the process alive on its own: a node is kept alive by its sockets. */
function unrefTimeout(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const t = setTimeout(fn, ms)
  t.unref?.()
  return t
}

/** A timer longer than Node's can hold: a chain of the longest Node timers, then the rest. */
class LongTimeout {
  #timer: ReturnType<typeof setTimeout>

  constructor(fn: () => void, ms: number) {
    const arm = (left: number): ReturnType<typeof setTimeout> =>
      unrefTimeout(() => {
        if (left > MAX_NODE_TIMEOUT_MS) this.#timer = arm(left - MAX_NODE_TIMEOUT_MS)
        else fn()
      }, Math.min(left, MAX_NODE_TIMEOUT_MS))
    this.#timer = arm(ms)
  }

  clear(): void {
    clearTimeout(this.#timer)
  }
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
  setTimeout: (fn: () => void, ms: number): TimerHandle => (ms > MAX_NODE_TIMEOUT_MS ? new LongTimeout(fn, ms) : unrefTimeout(fn, ms)),
  clearTimeout: (handle: TimerHandle) => {
    if (handle instanceof LongTimeout) handle.clear()
    else clearTimeout(handle as ReturnType<typeof setTimeout>)
  },
  setImmediate: (fn: () => void) => {
    setImmediate(fn)
  },
})
