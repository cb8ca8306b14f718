/**
 * Tracer: the observers of one system's trace records (`system.trace(observer)`). Every part that emits a record
 * checks `tracing` first, so a system nobody observes pays one branch per event and builds no record.
 *
 * Hot path: the `tracing` check on every send and every message handled.
 */
import type { Logger } from 'pino'
import type { TraceObserver, TraceRecord } from '../trace.ts'

export class Tracer {
  /** True while at least one observer is installed. */
  tracing = false
  #observers: TraceObserver[] = []
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  /** Installs `observer`; returns the function that removes it. */
  observe(observer: TraceObserver): () => void {
    this.#observers = [...this.#observers, observer]
    this.tracing = true
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer)
      this.tracing = this.#observers.length > 0
    }
  }

  /** Hands `record` to every observer; what an observer throws is logged, never thrown into the runtime. */
  emit(record: TraceRecord): void {
    for (const observer of this.#observers) {
      try {
        observer(record)
      } catch (error) {
        this.#logger.error({ err: error }, 'trace observer threw')
      }
    }
  }
}
