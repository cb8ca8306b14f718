/**
 * NodeMembership: which nodes this one is connected to, as the distribution reports them, and who is told
 * (`monitorNodes` listeners, trace observers). Hidden connections (a CLI, an observer) are kept apart: listeners see
 * them only when they ask to, as Erlang's `net_kernel:monitor_nodes(true, [{node_type, all}])`.
 */
import type { Logger } from 'pino'
import type { Tracer } from './tracer.ts'

/** A connection event, for `monitorNodes`. `hidden` marks a connection outside the mesh (a CLI, an observer). */
export type NodeEvent =
  | { type: 'nodeup'; node: string; hidden: boolean }
  | { type: 'nodedown'; node: string; reason: string; hidden: boolean }

interface NodeListener {
  listener: (event: NodeEvent) => void
  hidden: boolean
}

export class NodeMembership {
  readonly #tracer: Tracer
  readonly #logger: Logger
  #listeners: NodeListener[] = []
  /** Connected nodes whose connection is hidden (outside the mesh). */
  readonly #hidden = new Set<string>()

  constructor(tracer: Tracer, logger: Logger) {
    this.#tracer = tracer
    this.#logger = logger
  }

  /** Adds a listener; returns the function that removes it. */
  monitorNodes(listener: (event: NodeEvent) => void, options?: { hidden?: boolean }): () => void {
    const entry = { listener, hidden: options?.hidden === true }
    this.#listeners = [...this.#listeners, entry]
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== entry)
    }
  }

  nodeUp(node: string, hidden: boolean): void {
    if (hidden) this.#hidden.add(node)
    else this.#hidden.delete(node)
    this.#emit({ type: 'nodeup', node, hidden })
  }

  nodeDown(node: string, reason: string): void {
    const hidden = this.#hidden.delete(node)
    this.#emit({ type: 'nodedown', node, reason, hidden })
  }

  #emit(event: NodeEvent): void {
    const tracer = this.#tracer
    if (tracer.tracing) tracer.emit(event.type === 'nodeup' ? { type: 'nodeup', node: event.node } : { type: 'nodedown', node: event.node, reason: event.reason })
    for (const { listener, hidden } of this.#listeners) {
      if (event.hidden && !hidden) continue
      try {
        listener(event)
      } catch (error) {
        this.#logger.error({ err: error }, 'node event listener threw')
      }
    }
  }
}
