/**
 * Liveness of one connection. Every `tickMs / 4` it checks two flags: if nothing was sent since the last check it
 * asks for a tick to be sent; if nothing has been received for `tickMs` it declares the peer down. Traffic only sets
 * flags, so the hot path never reads the clock. The write of a tick does not count as traffic: counted, it made an
 * idle link tick every other check (`tickMs / 2`), and a peer's stall of well under `tickMs` could then be taken
 * for silence.
 */
import type { Clock, TimerHandle } from '@cohort/core'

export interface TickerOptions {
  readonly clock: Clock
  readonly tickMs: number
  /** Send a tick now. */
  readonly onTick: () => void
  /** The peer has been silent for `tickMs`. */
  readonly onSilent: (silentMs: number) => void
}

/** The liveness timer of one connection. */
export class Ticker {
  readonly #o: TickerOptions
  readonly #intervalMs: number
  #timer: TimerHandle | undefined
  #lastReceivedAt: number
  #received = false
  #sent = false
  /** A tick was asked for and its write has not been seen yet: that write is not traffic. */
  #tickInFlight = false
  #held = false
  readonly #checkBound = (): void => this.#check()

  constructor(options: TickerOptions) {
    this.#o = options
    this.#intervalMs = Math.max(1, Math.floor(options.tickMs / 4))
    this.#lastReceivedAt = options.clock.now()
    this.#timer = options.clock.setTimeout(this.#checkBound, this.#intervalMs)
  }

  /** Something arrived from the peer. */
  markReceived(): void {
    this.#received = true
  }

  /**
   * While held, the peer's silence is not counted: this node stopped reading the connection (flow control), so
   * nothing can arrive. Released, the silence count starts afresh.
   */
  hold(on: boolean): void {
    this.#held = on
    if (!on) this.#received = true
  }

  /** Something was written to the peer. */
  markSent(): void {
    if (this.#tickInFlight) this.#tickInFlight = false
    else this.#sent = true
  }

  stop(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #check(): void {
    if (this.#timer === undefined) return
    const now = this.#o.clock.now()
    if (this.#received || this.#held) {
      this.#received = false
      this.#lastReceivedAt = now
    } else if (now - this.#lastReceivedAt >= this.#o.tickMs) {
      this.#timer = undefined
      this.#o.onSilent(now - this.#lastReceivedAt)
      return
    }
    if (!this.#sent) {
      this.#tickInFlight = true
      this.#o.onTick()
    }
    this.#sent = false
    this.#timer = this.#o.clock.setTimeout(this.#checkBound, this.#intervalMs)
  }
}
