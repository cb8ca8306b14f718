/**
 * BusyWait: for `windowMs` after a frame arrives from a peer, the event loop keeps polling its sockets instead of
 * sleeping in the kernel when it runs out of work, as Erlang's schedulers spin before they sleep (`erl +sbwt`).
 *
 * Why: a process that sleeps in `epoll_wait` must be woken by the kernel when the next frame arrives, and on a
 * virtual machine the wake-up of an idle vCPU (and the write that causes it, on the sender) is the largest single
 * cost of a small round trip. While a `setImmediate` is pending, libuv polls with a zero timeout, so the loop never
 * sleeps, the peer's write finds a process already running, and the frame is read within a loop turn.
 *
 * The price is CPU: for `windowMs` after every frame the process uses a whole core. It is off by default; turn it
 * on for nodes whose cores are their own and whose traffic is round trips (calls), not for pods with CPU limits.
 */
export class BusyWait {
  readonly #windowMs: number
  readonly #now: () => number
  #lastFrameAt = 0
  #spinning = false
  #stopped = false

  /** `now` is injectable for tests: milliseconds from any origin, as `performance.now`. */
  constructor(windowMs: number, now: () => number = () => performance.now()) {
    this.#windowMs = windowMs
    this.#now = now
  }

  /** Whether the loop is being kept awake now. */
  get spinning(): boolean {
    return this.#spinning
  }

  /** A frame arrived: keep polling for the window from now. */
  frameRead(): void {
    if (this.#windowMs === 0 || this.#stopped) return
    this.#lastFrameAt = this.#now()
    if (this.#spinning) return
    this.#spinning = true
    setImmediate(this.#spin)
  }

  /** The node closed: stop at the next turn, and never start again. */
  stop(): void {
    this.#stopped = true
  }

  // One immediate a turn; a referenced one, since only those make libuv poll without blocking. Node's own
  // setImmediate, not the node's `clock`: what this keeps awake is the real event loop, whatever clock the node runs on.
  readonly #spin = (): void => {
    if (!this.#stopped && this.#now() - this.#lastFrameAt < this.#windowMs) setImmediate(this.#spin)
    else this.#spinning = false
  }
}
