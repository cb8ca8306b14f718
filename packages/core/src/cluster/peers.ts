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
import { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import type { Down } from '../signals.ts'
import type { ActorSystem } from '../system/actor-system.ts'

interface Peer {
  readonly pid: Pid
  readonly ref: Ref
}

/** What `add` did. */
export type PeerChange = 'new' | 'known' | 'replaced'

/** The discovered peers of one service actor. */
export class Peers {
  readonly #peers = new Map<string, Peer>()
  readonly #system: ActorSystem
  /** The name the service actor has on every node. */
  readonly #actorName: string

  constructor(system: ActorSystem, actorName: string) {
    this.#system = system
    this.#actorName = actorName
  }

  /** Asks the service on `node` for its snapshot (on start and on every nodeup). */
  discover(ctx: Ctx, node: string): void {
    ctx.send({ name: this.#actorName, node }, { t: 'discover', peer: ctx.self })
  }

  /** True when `peer` is a service actor of another node this one is connected to: one to listen to. */
  accepts(peer: unknown): peer is Pid {
    return peer instanceof Pid && peer.node !== this.#system.node && this.#system.nodes().includes(peer.node)
  }

  /**
   * A peer's `discover` arrived: answers with the messages of `snapshot`, in order (one, or a large snapshot's parts),
   * tracks the peer, lets `forget` drop what a replaced incarnation of it held, and discovers it back when it was new
   * here. Ignores peers `accepts` refuses.
   */
  answerDiscover(ctx: Ctx, peer: unknown, snapshot: readonly unknown[], forget: (node: string) => void): void {
    if (!this.accepts(peer)) return
    for (const part of snapshot) ctx.send(peer, part)
    const change = this.add(ctx, peer)
    if (change === 'replaced') forget(peer.node)
    if (change !== 'known') this.discover(ctx, peer.node)
  }

  /** A Down arrived: when it is a peer's, forgets that peer and lets `forget` drop what it held. Returns true then. */
  handleDown(down: Down, forget: (node: string) => void): boolean {
    const node = this.downOf(down)
    if (node === undefined) return false
    this.drop(node)
    forget(node)
    return true
  }

  /** True when `pid` is the current peer of its node. */
  has(pid: Pid): boolean {
    return this.#peers.get(pid.node)?.pid.equals(pid) === true
  }

  /** The current peer on `node`, if any. */
  pidOf(node: string): Pid | undefined {
    return this.#peers.get(node)?.pid
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
