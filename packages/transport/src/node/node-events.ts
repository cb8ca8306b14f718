/**
 * The events a node emits: `nodeup` when a visible peer connects, `nodedown` when it goes (with the reason). Hidden
 * peers emit neither. A listener that throws is logged and does not disturb the node or other listeners.
 */
import type { Logger } from 'pino'

/** Event name → listener. */
export interface NodeEventMap {
  /** A visible peer connected (handshake done). */
  nodeup: (node: string) => void
  /**
   * A visible peer went: `'leaving'` (it called `leave()`), `'disconnect'` (this node called `disconnect`),
   * `'shutdown'` (this node is closing), else `'noconnection'` (lost, silent, closed by the peer, or replaced by a
   * new incarnation).
   */
  nodedown: (node: string, reason: string) => void
}

export type NodeEventName = keyof NodeEventMap

/** A small typed emitter for node events. */
export class NodeEvents {
  readonly #listeners: { [E in NodeEventName]: Array<NodeEventMap[E]> } = { nodeup: [], nodedown: [] }
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  on<E extends NodeEventName>(event: E, listener: NodeEventMap[E]): void {
    this.#check(event)
    this.#listeners[event].push(listener)
  }

  off<E extends NodeEventName>(event: E, listener: NodeEventMap[E]): void {
    this.#check(event)
    const list = this.#listeners[event] as Array<NodeEventMap[E]>
    const i = list.indexOf(listener)
    if (i >= 0) list.splice(i, 1)
  }

  emit<E extends NodeEventName>(event: E, ...args: Parameters<NodeEventMap[E]>): void {
    for (const listener of [...this.#listeners[event]]) {
      try {
        ;(listener as (...a: unknown[]) => void)(...args)
      } catch (error) {
        this.#logger.error({ err: error }, `${event} listener threw`)
      }
    }
  }

  #check(event: string): void {
    if (event !== 'nodeup' && event !== 'nodedown') throw new TypeError(`unknown node event ${JSON.stringify(event)}; expected nodeup or nodedown`)
  }
}
