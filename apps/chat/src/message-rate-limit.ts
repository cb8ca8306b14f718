/**
 * MessageRateLimit: how fast one client may send frames: `perSecond` on average, with up to `burst` at once. One per
 * connection, checked in the socket's message listener, so a flooding client's frames are dropped before they reach
 * its session's mailbox and before the room multiplies each one by its members.
 *
 * It is a token bucket kept as one time (the generic cell rate algorithm): `#due` is when the client's frames would
 * have been spaced out evenly, and a frame passes while that is at most `burst - 1` intervals ahead of now. A count
 * of tokens refilled by fractions loses frames to rounding (ten refills of 0.1 make 0.9999999, not 1); whole
 * intervals added to a time do not.
 */
export class MessageRateLimit {
  readonly perSecond: number
  readonly burst: number
  readonly #now: () => number
  /** Milliseconds between two frames at the rate. */
  readonly #interval: number
  /** How far ahead of now `#due` may be, plus a margin for intervals that are not whole in binary (1000 / 3). */
  readonly #ahead: number
  #due: number

  /** `now` is a monotonic clock in milliseconds (tests pass their own). */
  constructor(perSecond: number, burst: number, now: () => number = () => performance.now()) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new RangeError(`a rate limit needs perSecond > 0 and burst >= 1, got ${perSecond} and ${burst}`)
    this.perSecond = perSecond
    this.burst = burst
    this.#now = now
    this.#interval = 1000 / perSecond
    this.#ahead = (burst - 1) * this.#interval + 1e-6
    this.#due = now()
  }

  /** Counts one frame; false when the client is over its limit (the frame is then not to be handled). */
  take(): boolean {
    const now = this.#now()
    const due = this.#due > now ? this.#due : now
    if (due - now > this.#ahead) return false
    this.#due = due + this.#interval
    return true
  }
}
