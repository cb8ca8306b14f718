/**
 * SyncBarriers: the bookkeeping behind `groups.synced()` and `presence.synced()`, kept by a scope actor. A barrier is
 * a question put to the scope of every connected node: "have you seen every change I made before this?". The scope
 * asks a node only once it has sent that node its snapshot (answered its `discover`), and asks with a `ping` sent
 * after every delta it sent before, so a `pong` (messages between two actors arrive in order) means the node holds
 * everything this node changed before the barrier. A node that goes down is not waited for; one that never answers
 * (it runs no scope of this name) makes the barrier time out, naming it.
 */
import type { Ctx, From } from '../actor/ctx.ts'
import { Pid } from '../pid.ts'
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

/**
 * The messages of a barrier, between the scope actors of one scope and to an actor itself (its timeout); a scope's
 * own messages include them and hand them to `handle`.
 */
export type BarrierMessage = { t: 'ping'; peer: Pid; id: number } | { t: 'pong'; node: string; id: number } | { t: 'syncTimeout'; id: number }

/** The open barriers of one scope actor, and the nodes it has sent its snapshot to. */
export class SyncBarriers {
  readonly #open = new Map<number, Barrier>()
  /** Nodes whose scope has this node's snapshot: a ping to them is ordered after everything they need. */
  readonly #snapshotSent = new Set<string>()
  /** The scope actor of a node, when it is a peer: where a ping goes. */
  readonly #peerOf: (node: string) => Pid | undefined
  #nextId = 0

  constructor(peerOf: (node: string) => Pid | undefined) {
    this.#peerOf = peerOf
  }

  /**
   * A `synced` call, in the scope actor's `handleCall` (behind every delta it sent so far, so a ping follows them):
   * opens a barrier over `nodes`, pings those that have the snapshot (the others once they do) and arms its timeout.
   * Returns the reply to give now, null with no node to wait for; undefined when the barrier will reply itself.
   */
  open(ctx: Ctx, from: From, nodes: readonly string[], timeoutMs: number): BarrierOutcome | undefined {
    if (nodes.length === 0) return null
    const id = ++this.#nextId
    const timer = ctx.sendAfter(ctx.self, { t: 'syncTimeout', id } satisfies BarrierMessage, timeoutMs)
    this.#open.set(id, { from, waiting: new Set(nodes), timer })
    for (const node of nodes) if (this.#snapshotSent.has(node)) this.#ping(ctx, node, id)
    return undefined
  }

  /** This node's snapshot went to `node` (it answered its `discover`): the barriers waiting for it ask it now. */
  snapshotSent(ctx: Ctx, node: string): void {
    this.#snapshotSent.add(node)
    for (const [id, barrier] of this.#open) if (barrier.waiting.has(node)) this.#ping(ctx, node, id)
  }

  /** `node` went down: it is waited for no longer, and the barriers it was the last of answer. */
  nodeDown(ctx: Ctx, node: string): void {
    this.#snapshotSent.delete(node)
    for (const [id, barrier] of this.#open) {
      if (barrier.waiting.delete(node) && barrier.waiting.size === 0) this.#finish(ctx, id, barrier)
    }
  }

  /** Handles a barrier message: answers a ping, counts a pong, ends a barrier at its timeout (naming the missing). */
  handle(ctx: Ctx, msg: BarrierMessage): void {
    switch (msg.t) {
      case 'ping':
        if (msg.peer instanceof Pid && Number.isSafeInteger(msg.id)) ctx.send(msg.peer, { t: 'pong', node: ctx.self.node, id: msg.id } satisfies BarrierMessage)
        return
      case 'pong': {
        const barrier = this.#open.get(msg.id)
        if (barrier === undefined || !barrier.waiting.delete(msg.node)) return
        if (barrier.waiting.size === 0) this.#finish(ctx, msg.id, barrier)
        return
      }
      case 'syncTimeout': {
        const barrier = this.#open.get(msg.id)
        if (barrier === undefined) return
        this.#open.delete(msg.id)
        ctx.reply(barrier.from, { missing: [...barrier.waiting].sort() } satisfies BarrierOutcome)
      }
    }
  }

  #ping(ctx: Ctx, node: string, id: number): void {
    const peer = this.#peerOf(node)
    if (peer !== undefined) ctx.send(peer, { t: 'ping', peer: ctx.self, id } satisfies BarrierMessage)
  }

  #finish(ctx: Ctx, id: number, barrier: Barrier): void {
    this.#open.delete(id)
    if (barrier.timer !== undefined) ctx.cancelTimer(barrier.timer)
    ctx.reply(barrier.from, null satisfies BarrierOutcome)
  }
}
