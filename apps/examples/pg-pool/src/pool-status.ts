/**
 * What the pool knows about itself, kept outside the actors so that probes and metrics can read it synchronously:
 * live connections, replacements, give-ups, retried statements and checkout waits, plus typed events for whoever
 * wants to watch (the example node prints them; tests wait on them). The pool's actors write it; nothing else does.
 */

/** Events a pool emits. */
export interface PoolEvents {
  /** A connection actor connected; `alive` counts live connections now. */
  connectionUp: (event: { backendPid: number; alive: number }) => void
  /** A live connection actor ended; `reason` is its exit reason as text. */
  connectionDown: (event: { backendPid: number; alive: number; reason: string }) => void
  /** The connections' supervisor exceeded its intensity; with `'backoff'`, the next attempt is in `retryInMs`. */
  gaveUp: (event: { reason: string; attempt: number; retryInMs: number | undefined }) => void
}

/** A synchronous view of the pool. */
export interface PoolStats {
  size: number
  /** Connected connection actors. */
  alive: number
  /** Connection actors started to replace one that ended. */
  restarts: number
  /** Times the connections' supervisor gave up. */
  giveUps: number
  /** Statements retried once on another connection. */
  retries: number
  /** Callers waiting for a connection. */
  waiting: number
  /** 99th percentile of the last 1,024 checkout waits, in milliseconds (0 before any). */
  queueWaitP99Ms: number
}

const WAIT_SAMPLES = 1024

/** The mutable status behind a pool (internal to the example's files; read through Pool). */
export class PoolStatus {
  readonly size: number
  alive = 0
  started = 0
  giveUps = 0
  retries = 0
  waiting = 0
  readonly #waits: number[] = []
  #nextWait = 0
  readonly #listeners: { [E in keyof PoolEvents]: Set<PoolEvents[E]> } = {
    connectionUp: new Set(),
    connectionDown: new Set(),
    gaveUp: new Set(),
  }
  readonly #waitObservers = new Set<(ms: number) => void>()

  constructor(size: number) {
    this.size = size
  }

  on<E extends keyof PoolEvents>(event: E, listener: PoolEvents[E]): void {
    this.#listeners[event].add(listener)
  }

  off<E extends keyof PoolEvents>(event: E, listener: PoolEvents[E]): void {
    this.#listeners[event].delete(listener)
  }

  emit<E extends keyof PoolEvents>(event: E, arg: Parameters<PoolEvents[E]>[0]): void {
    for (const listener of this.#listeners[event]) {
      try {
        ;(listener as (a: typeof arg) => void)(arg)
      } catch {
        // A watcher's failure must not reach the pool's actors.
      }
    }
  }

  /** Records one checkout's wait. */
  observeWait(ms: number): void {
    if (this.#waits.length < WAIT_SAMPLES) this.#waits.push(ms)
    else this.#waits[this.#nextWait] = ms
    this.#nextWait = (this.#nextWait + 1) % WAIT_SAMPLES
    for (const observe of this.#waitObservers) observe(ms)
  }

  onWait(observe: (ms: number) => void): void {
    this.#waitObservers.add(observe)
  }

  stats(): PoolStats {
    const sorted = [...this.#waits].sort((a, b) => a - b)
    const p99 = sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0)
    return {
      size: this.size,
      alive: this.alive,
      restarts: Math.max(0, this.started - this.size),
      giveUps: this.giveUps,
      retries: this.retries,
      waiting: this.waiting,
      queueWaitP99Ms: p99,
    }
  }
}
