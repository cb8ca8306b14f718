/**
 * SyncBarriers: the bookkeeping behind `groups.synced()` and `presence.synced()`, kept by a scope actor. A barrier is
 * a question put to the scope of every connected node: "have you seen every change I made before this?". The scope
 * asks a node only once it has sent that node its snapshot (answered its `discover`), and asks with a `ping` sent
 * after every delta it sent before, so a `pong` (messages between two actors arrive in order) means the node holds
 * everything this node changed before the barrier. A node that goes down is not waited for; one that never answers
 * (it runs no scope of this name) makes the barrier time out, naming it.
 */
import type { From } from '../actor/ctx.ts'
import type { Ref } from '../ref.ts'

/** Options of `synced` (groups' and presence's). */
export interface SyncedOptions {
  /**
   * How long to wait for the slowest node; past it `synced` rejects naming the nodes that did not answer.
   * @default 5000 (a connected node answers in one round trip; one that never does runs no scope of this name)
   */
  timeoutMs?: number
}

/** The defaults of `synced`. */
export const DEFAULT_SYNCED_OPTIONS: Readonly<{ timeoutMs: number }> = Object.freeze({ timeoutMs: 5_000 })

interface Barrier {
  readonly from: From
  /** Nodes that have not answered yet. */
  readonly waiting: Set<string>
  /** The timer that ends the wait. */
  timer: Ref | undefined
}

/** What a finished barrier answers its caller: null when every node answered, else the nodes that did not. */
export type BarrierOutcome = null | { missing: string[] }

/** The open barriers of one scope actor, and the nodes it has sent its snapshot to. */
export class SyncBarriers {
  readonly #open = new Map<number, Barrier>()
  /** Nodes whose scope has this node's snapshot: a ping to them is ordered after everything they need. */
  readonly #snapshotSent = new Set<string>()
  #nextId = 0

  /**
   * Opens a barrier over `nodes`; returns its id and the nodes to ping now (the others are pinged by `snapshotSent`
   * once they have the snapshot). With no node to wait for it is finished at once: the id is undefined.
   */
  open(from: From, nodes: readonly string[]): { id: number | undefined; pingNow: string[] } {
    if (nodes.length === 0) return { id: undefined, pingNow: [] }
    const id = ++this.#nextId
    this.#open.set(id, { from, waiting: new Set(nodes), timer: undefined })
    return { id, pingNow: nodes.filter((n) => this.#snapshotSent.has(n)) }
  }

  /** Keeps the timer of barrier `id`, to cancel when it finishes. */
  setTimer(id: number, timer: Ref): void {
    const barrier = this.#open.get(id)
    if (barrier !== undefined) barrier.timer = timer
  }

  /** This node's snapshot went to `node`: returns the open barriers that wait for it (to ping it now). */
  snapshotSent(node: string): number[] {
    this.#snapshotSent.add(node)
    const ids: number[] = []
    for (const [id, barrier] of this.#open) if (barrier.waiting.has(node)) ids.push(id)
    return ids
  }

  /** `node` answered barrier `id`; returns the barrier when that was the last answer (it is closed). */
  answered(id: number, node: string): { from: From; timer: Ref | undefined } | undefined {
    const barrier = this.#open.get(id)
    if (barrier === undefined) return undefined
    barrier.waiting.delete(node)
    if (barrier.waiting.size > 0) return undefined
    this.#open.delete(id)
    return barrier
  }

  /** `node` went down: it is waited for no longer; returns the barriers it finished (they are closed). */
  nodeDown(node: string): { from: From; timer: Ref | undefined }[] {
    this.#snapshotSent.delete(node)
    const done: Barrier[] = []
    for (const [id, barrier] of this.#open) {
      if (barrier.waiting.delete(node) && barrier.waiting.size === 0) {
        this.#open.delete(id)
        done.push(barrier)
      }
    }
    return done
  }

  /** Barrier `id` ran out of time: closes it; returns its caller and the nodes that never answered. */
  expire(id: number): { from: From; missing: string[] } | undefined {
    const barrier = this.#open.get(id)
    if (barrier === undefined) return undefined
    this.#open.delete(id)
    return { from: barrier.from, missing: [...barrier.waiting].sort() }
  }
}
