/**
 * Restarts: what happens when a supervisor restarts a child — the `restarts` counter, the `restart` trace record and
 * the `monitorRestarts` listeners (the observer's event feed, restart metrics), which see restarts without tracing on.
 *
 * Restarts are rare, so a listener costs nothing on the message path.
 */
import type { Logger } from 'pino'
import type { Counters, RestartEvent } from './system-stats.ts'
import type { Tracer } from './tracer.ts'

export class Restarts {
  #listeners: ((event: RestartEvent) => void)[] = []
  readonly #counters: Counters
  readonly #tracer: Tracer
  readonly #logger: Logger

  constructor(counters: Counters, tracer: Tracer, logger: Logger) {
    this.#counters = counters
    this.#tracer = tracer
    this.#logger = logger
  }

  /** Installs `listener`; returns the function that removes it. */
  monitor(listener: (event: RestartEvent) => void): () => void {
    this.#listeners = [...this.#listeners, listener]
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener)
    }
  }

  /** Counts, traces and reports one restart; what a listener throws is logged, never thrown into the supervisor. */
  note(event: RestartEvent): void {
    this.#counters.restarts++
    if (this.#tracer.tracing) this.#tracer.emit({ type: 'restart', supervisor: event.supervisor, child: event.child, reason: event.reason })
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch (error) {
        this.#logger.error({ err: error }, 'restart listener threw')
      }
    }
  }
}
