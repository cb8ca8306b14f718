/**
 * Backpressure towards one peer: unsent bytes (our queue plus the socket's buffer) above the high-water mark make
 * `send` report `'busy'`, and `drain()` resolves once they fall below the low-water mark — Erlang's busy
 * distribution port. The two marks give hysteresis, so a sender paused at the high mark is not woken for every frame.
 */

/** Drain waiters for one peer. */
export class Backpressure {
  readonly highWaterMarkBytes: number
  readonly lowWaterMarkBytes: number
  #waiters: Array<() => void> = []

  constructor(highWaterMarkBytes: number, lowWaterMarkBytes: number) {
    this.highWaterMarkBytes = highWaterMarkBytes
    this.lowWaterMarkBytes = lowWaterMarkBytes
  }

  /** True when `unsentBytes` is at or above the high-water mark. */
  isBusy(unsentBytes: number): boolean {
    return unsentBytes >= this.highWaterMarkBytes
  }

  /** True while someone awaits `drain`. */
  get hasWaiters(): boolean {
    return this.#waiters.length > 0
  }

  /** Resolves once `update` reports bytes below the low-water mark (at once if `unsentBytes` already is). */
  drain(unsentBytes: number): Promise<void> {
    if (unsentBytes < this.lowWaterMarkBytes) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Reports the current unsent bytes; wakes the waiters when below the low-water mark. */
  update(unsentBytes: number): void {
    if (this.#waiters.length > 0 && unsentBytes < this.lowWaterMarkBytes) this.release()
  }

  /** Wakes every waiter (the connection went away: there is nothing left to wait for). */
  release(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }
}
