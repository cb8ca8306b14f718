/**
 * Peers: the same-named service actors on other nodes that a cluster service actor (a groups scope, the global
 * registry) has discovered, each with the monitor that tells when it is lost. Both services find their peers with
 * the handshake of Erlang's pg: on start and on every `nodeup` a service sends `discover` to the service of the
 * same name on the other node; the receiver answers with a snapshot of what it owns and, if the sender was new to
 * it, a `discover` of its own, so each side ends up with the other's snapshot followed by its deltas.
 *
 * Gotchas: a peer is keyed by node, so a restarted service (new pid on the same node) replaces its predecessor.
 */
import type { Ctx } from '../actor/ctx.ts'
import type { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import type { Down } from '../signals.ts'

interface Peer {
  readonly pid: Pid
  readonly ref: Ref
}

/** What `add` did. */
export type PeerChange = 'new' | 'known' | 'replaced'

/** The discovered peers of one service actor. */
export class Peers {
  readonly #peers = new Map<string, Peer>()

  /** True when `pid` is the current peer of its node. */
  has(pid: Pid): boolean {
    return this.#peers.get(pid.node)?.pid.equals(pid) === true
  }

  /** True when a peer on `node` is known. */
  hasNode(node: string): boolean {
    return this.#peers.has(node)
  }

  /** Adds `pid` as the peer of its node and monitors it; a different pid on that node is replaced. */
  add(ctx: Ctx, pid: Pid): PeerChange {
    const old = this.#peers.get(pid.node)
    if (old?.pid.equals(pid) === true) return 'known'
    if (old !== undefined) ctx.demonitor(old.ref, { flush: true })
    this.#peers.set(pid.node, { pid, ref: ctx.monitor(pid) })
    return old === undefined ? 'new' : 'replaced'
  }

  /** Forgets the peer of `node` (its monitor has fired or is about to: no demonitor). Returns true if there was one. */
  drop(node: string): boolean {
    return this.#peers.delete(node)
  }

  /** The node whose peer this Down is about (the current monitor, not a stale one), if any. */
  downOf(down: Down): string | undefined {
    for (const [node, peer] of this.#peers) if (peer.ref.equals(down.ref)) return node
    return undefined
  }

  /** Sends `msg` to every peer. */
  sendAll(ctx: Ctx, msg: unknown): void {
    for (const peer of this.#peers.values()) ctx.send(peer.pid, msg)
  }

  /** The nodes with a known peer. */
  nodes(): string[] {
    return [...this.#peers.keys()]
  }
}
