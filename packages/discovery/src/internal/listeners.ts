/**
 * A small typed listener table for the handles this package returns. Listener exceptions are reported to the logger
 * and never propagate into discovery (user code never runs on our stack's failure path).
 */
import type { Logger } from 'pino'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- event maps are tuples of arbitrary argument types
export type EventMap = Record<string, any[]>

type AnyListener = (...args: unknown[]) => void

export class Listeners<E extends EventMap> {
  readonly #table = new Map<keyof E, Set<AnyListener>>()
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): void {
    let set = this.#table.get(event)
    if (set === undefined) this.#table.set(event, (set = new Set()))
    set.add(listener as unknown as AnyListener)
  }

  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): void {
    this.#table.get(event)?.delete(listener as unknown as AnyListener)
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#table.get(event)
    if (set === undefined) return
    for (const listener of [...set]) {
      try {
        listener(...(args as unknown[]))
      } catch (err) {
        this.#logger.error({ err }, 'event listener threw')
      }
    }
  }
}
