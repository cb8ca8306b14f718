/**
 * WebSocketNode: the node behind `startNode`. It owns the peers (at most one live connection each, plus a dial in
 * progress and the outgoing session), implements core's Distribution over their sessions, and runs the node's
 * lifecycle and public API. Its sockets, and what a peer's connection opening or closing does (admission, the
 * transitive mesh, nodeup and nodedown), are node-connections.ts.
 */
import { Buffer } from 'node:buffer'
import { createActorSystem, InvalidOptionError, isNodeName } from '@cohort/core'
import type { ActorSystem, Pid, Ref } from '@cohort/core'
import { attachDistribution, internNodeName } from '@cohort/core/distribution'
import type { ControlMessage, Distribution, DistributionEndpoint, DistributionSendResult } from '@cohort/core/distribution'
import type { Logger } from 'pino'
import { CLOSE_CODES } from '../wire/close-codes.ts'
import { HandshakeFailedError, MessageTooLargeError } from '../errors.ts'
import type { LocalIdentity } from '../connection/handshake.ts'
import { cookieStrengthBits, isWeakCookie, WEAK_COOKIE_BITS } from './cookie-strength.ts'
import { NodeConnections } from './node-connections.ts'
import { NodeEvents } from './node-events.ts'
import type { NodeEventMap, NodeEventName } from './node-events.ts'
import { isWebSocketUrl } from '../wire/transport-control.ts'
import type { ResolvedNodeOptions } from './node-options.ts'
import { advertisedUrl, listenNodeServer } from './node-server.ts'
import type { NodeServer } from './node-server.ts'
import { createPeer, createSession } from './peer.ts'
import type { Peer, PeerSession } from './peer.ts'
import type { CohortNode, NodeStats, PeerStats } from './cohort-node.ts'
import { totalLength } from '../wire/fragmenter.ts'
import { AttachedEntry } from '../wire/attachments.ts'
import { LEAVING_CONTROL } from '../wire/transport-control.ts'
import type { PeerAddress } from '../wire/transport-control.ts'
import { sizeBound, splicedBytesOfLastBound } from '../wire/size-bound.ts'
import { checkNameHost, listenProblem } from './name-host-check.ts'
import { checkOutgoing } from './outgoing-check.ts'

/** The node behind `startNode`. */
export class WebSocketNode implements CohortNode {
  readonly name: string
  readonly hidden: boolean
  readonly system: ActorSystem
  readonly distribution: Distribution
  port = 0
  url = ''
  readonly #o: ResolvedNodeOptions
  readonly #log: Logger
  readonly #endpoint: DistributionEndpoint
  readonly #events: NodeEvents
  readonly #peers = new Map<string, Peer>()
  #lastPeer: Peer | undefined = undefined // of the last send (#sessionFor)
  readonly #connections: NodeConnections
  #local: LocalIdentity | undefined
  #server: NodeServer | undefined
  #closing: Promise<void> | undefined
  #leaving = false

  constructor(o: ResolvedNodeOptions) {
    this.#o = o
    this.name = internNodeName(o.name)
    this.hidden = o.hidden
    this.#log = o.logger.child({ node: o.name })
    this.#events = new NodeEvents(this.#log)
    this.system = createActorSystem({
      ...o.system,
      node: o.name,
      logger: o.logger,
      clock: o.clock,
      ...(o.creation === undefined ? {} : { creation: o.creation }),
    })
    this.distribution = {
      send: (node, control, sender) => this.#send(node, control, undefined, sender),
      sendMessage: (to, from, msg) => this.#sendMessage(to, from, msg),
      compactCalls: true,
      sendCall: (node, to, port, ref, request, from) => this.#sendCall(node, to, port, ref, request, from),
      flush: (node) => this.#flush(node),
      maxMessageBytes: o.maxMessageBytes,
      drain: (node) => this.drain(node),
      nodes: () => this.nodes(),
    }
    this.#endpoint = attachDistribution(this.system, this.distribution)
    this.#connections = new NodeConnections({
      name: this.name,
      hidden: this.hidden,
      options: o,
      log: this.#log,
      events: this.#events,
      endpoint: this.#endpoint,
      peers: this.#peers,
      peer: (name) => this.#peer(name),
      openSession: (peer) => this.#openSession(peer),
      isClosing: () => this.#closing !== undefined,
      local: () => this.#local as LocalIdentity,
    })
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------------

  async listen(): Promise<void> {
    const o = this.#o
    try {
      this.#server = await listenNodeServer(o, this.#log, {
        connection: (ws, req) => this.#connections.accept(ws, req),
        tlsFailure: () => void this.#connections.failed++,
      })
    } catch (error) {
      await this.system.shutdown()
      throw error
    }
    this.port = this.#server.port
    this.url = advertisedUrl(o, this.port)
    this.#local = { name: o.name, creation: this.system.creation, url: this.url, hidden: o.hidden, tickMs: o.tickMs, cookie: o.cookie }
    this.#log.info({ url: this.url, hidden: o.hidden }, 'node listening')
    if (isWeakCookie(o.cookie)) {
      // Loud on purpose: a weak cookie is recovered offline by anyone this node can be made to dial (see the README's
      // threat model). The cookie itself is never logged, only its estimated strength.
      this.#log.warn(
        { bits: cookieStrengthBits(o.cookie), reason: `the cookie has about ${cookieStrengthBits(o.cookie)} bits of entropy, under ${WEAK_COOKIE_BITS}; use 32 random bytes, e.g. openssl rand -base64 32` },
        'weak cookie',
      )
    }
    if (!o.hidden && o.url === undefined && o.checkNameHost) this.#warnIfNameHostNotLocal()
  }

  /** Warns (without delaying start) when peers dialling this node's name would not reach it (name-host-check.ts). */
  #warnIfNameHostNotLocal(): void {
    checkNameHost(this.#o.nameHost).then(
      (check) => {
        const problem = check.problem ?? listenProblem(this.#o.host, check)
        if (problem !== undefined && this.#closing === undefined) {
          this.#log.warn({ host: check.host, addresses: check.addresses, listen: this.#o.host, url: this.url }, `node name unreachable: ${problem}`)
        }
      },
      (error: unknown) => this.#log.debug({ err: error }, 'could not check the name\'s host'),
    )
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  leave(): Promise<void> {
    this.#leaving = true
    return this.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #close(): Promise<void> {
    this.#log.info({ reason: this.#leaving ? 'leaving' : 'shutdown' }, 'node shutting down')
    this.#connections.stopDialling()
    this.#connections.busyWait.stop()
    // Actors stop while connections are still up, so remote links see their real exit reasons.
    try {
      await this.system.shutdown()
    } catch (error) {
      this.#log.error({ err: error }, 'system shutdown failed')
    }
    for (const conn of [...this.#connections.all]) {
      // This node closes either way: its own nodedown events say 'shutdown'; its peers see 'leaving'.
      conn.downReason = 'shutdown'
      if (this.#leaving && conn.state === 'up') {
        conn.sendControl(LEAVING_CONTROL)
        conn.close(CLOSE_CODES.leaving, 'node leaving')
      } else {
        conn.close(CLOSE_CODES.shutdown, 'node closing')
      }
    }
    await this.#server?.close()
    this.#log.info({}, 'node closed')
  }

  // ---- public API -------------------------------------------------------------------------------------------------

  connect(address: PeerAddress): Promise<void> {
    if (typeof address !== 'object' || address === null || !isNodeName(address.name)) {
      return Promise.reject(new InvalidOptionError('peer.name', address?.name, 'a node name like "app@host"'))
    }
    if (!isWebSocketUrl(address.url)) return Promise.reject(new InvalidOptionError('peer.url', address.url, 'a ws:// or wss:// URL'))
    if (this.#closing !== undefined) return Promise.reject(new HandshakeFailedError(address.url, 'this node is closing', undefined))
    if (address.name === this.name) return Promise.resolve()
    const peer = this.#peer(address.name)
    if (peer.conn === undefined || peer.conn.state !== 'up') peer.url = address.url
    if (peer.conn !== undefined) return Promise.resolve()
    const wait = new Promise<void>((resolve, reject) => peer.waiters.push({ resolve, reject }))
    // Dial even if that node is dialling us: an unauthenticated socket claiming its name must not hold us up, and
    // the tie rule keeps one connection if both succeed.
    if (peer.outbound === undefined) this.#connections.dial(peer)
    return wait
  }

  disconnect(name: string): void {
    const conn = this.#peers.get(name)?.conn
    if (conn === undefined) return
    conn.downReason = 'disconnect'
    conn.close(CLOSE_CODES.shutdown, 'disconnected')
  }

  nodes(): string[] {
    const out: string[] = []
    for (const p of this.#peers.values()) if (p.conn !== undefined && !this.#connections.isHidden(p.conn)) out.push(p.name)
    return out
  }

  hiddenNodes(): string[] {
    const out: string[] = []
    for (const p of this.#peers.values()) if (p.conn !== undefined && this.#connections.isHidden(p.conn)) out.push(p.name)
    return out
  }

  drain(peer: string): Promise<void> {
    const session = this.#peers.get(peer)?.session
    if (session === undefined) return Promise.resolve()
    return session.backpressure.drain(session.batcher.unsentBytes)
  }

  stats(): NodeStats {
    const peers: PeerStats[] = []
    for (const p of this.#peers.values()) {
      const conn = p.conn
      if (conn === undefined && p.session === undefined) continue
      peers.push({
        node: p.name,
        state: conn === undefined ? 'connecting' : 'up',
        hidden: conn !== undefined && this.#connections.isHidden(conn),
        messagesIn: conn?.messagesIn ?? 0,
        // Ticks and peer lists too, as messagesIn counts them: bytes out are never beside zero messages out.
        messagesOut: (p.session?.messagesOut ?? 0) + (p.session?.batcher.controlsOut ?? 0),
        bytesIn: conn?.bytesIn ?? 0,
        bytesOut: p.session?.batcher.bytesOut ?? 0,
        queuedBytes: p.session?.batcher.unsentBytes ?? 0,
        tickMs: conn?.peer?.tickMs,
        readPaused: conn?.readPaused ?? false,
        readPauses: conn?.readPauses ?? 0,
        framesReadInPlace: conn?.inPlaceReader?.framesReadInPlace ?? 0,
      })
    }
    return {
      node: this.name,
      url: this.url,
      peers,
      pendingHandshakes: this.#connections.pendingHandshakes,
      connectionsAccepted: this.#connections.accepted,
      connectionsRefused: this.#connections.refused,
      connectionsFailed: this.#connections.failed,
      connectionsEvicted: this.#connections.evicted,
      connectionsOversized: this.#connections.oversized,
      handshakeFailures: { ...this.#connections.handshakeFailures.counts },
    }
  }

  on<E extends NodeEventName>(event: E, listener: NodeEventMap[E]): this {
    this.#events.on(event, listener)
    return this
  }

  off<E extends NodeEventName>(event: E, listener: NodeEventMap[E]): this {
    this.#events.off(event, listener)
    return this
  }

  // ---- distribution -----------------------------------------------------------------------------------------------

  /**
   * Queues `control`: a small monitor, link, exit or down joins the batch; anything else is encoded on its own.
   * `sizeHint` bounds its encoded size when known (large messages). `sender` orders it behind that actor's earlier
   * messages when the control does not name it in `from` (a down for a monitor by name).
   */
  #send(node: string, control: ControlMessage, sizeHint?: number, sender?: Pid): DistributionSendResult {
    const session = this.#sessionFor(node)
    if (session === undefined) return 'unreachable'
    const batcher = session.batcher
    if (!batcher.enqueueBatchedControl(control)) {
      // A batched message passed size-bound.ts's walk, which accepts only what arrives unchanged; this one did not.
      if (this.#o.checkMessages) checkOutgoing(control)
      // Buffers of 16 KiB and more leave as attachments, never copied on this side (attachments.ts).
      const entry = batcher.encodeAttached(control, sizeHint)
      if (entry instanceof AttachedEntry) {
        if (entry.length > this.#o.maxMessageBytes) throw new MessageTooLargeError(node, entry.length, this.#o.maxMessageBytes)
        batcher.enqueueAttached(entry, sender ?? (control as { from?: unknown }).from)
      } else if (entry !== undefined) {
        if (entry.length > this.#o.maxMessageBytes) throw new MessageTooLargeError(node, entry.length, this.#o.maxMessageBytes)
        batcher.enqueueEncoded(entry, sender ?? (control as { from?: unknown }).from)
      } else {
        this.#enqueueInParts(batcher, node, control, sizeHint, sender)
      }
    }
    session.messagesOut++
    return session.backpressure.isBusy(batcher.unsentBytes) ? 'busy' : 'ok'
  }

  /** Queues a message that may stream: in parts, a large Buffer in it written out as it is, never copied. */
  #enqueueInParts(batcher: PeerSession['batcher'], node: string, control: ControlMessage, sizeHint: number | undefined, sender: Pid | undefined): void {
    const parts = batcher.encodeParts(control, sizeHint)
    const bytes = totalLength(parts)
    if (bytes > this.#o.maxMessageBytes) throw new MessageTooLargeError(node, bytes, this.#o.maxMessageBytes)
    batcher.enqueueParts(parts, sender ?? (control as { from?: unknown }).from)
  }

  /** The hot path of a remote call: a call whose request is small joins the batch, without a control object. */
  #sendCall(node: string, to: Pid | string, port: Pid, ref: Ref, request: unknown, from: Pid | undefined): DistributionSendResult {
    const session = this.#sessionFor(node)
    if (session === undefined) return 'unreachable'
    const batcher = session.batcher
    if (!batcher.enqueueCall(to, port, ref, request)) return this.#send(node, { type: 'call', to, port, ref, request, from })
    session.messagesOut++
    return session.backpressure.isBusy(batcher.unsentBytes) ? 'busy' : 'ok'
  }

  /** The hot path of a remote send: a small message joins the batch (send-batch.ts), anything else is encoded. */
  #sendMessage(to: Pid, from: Pid | undefined, msg: unknown): DistributionSendResult {
    const session = this.#sessionFor(to.node)
    if (session === undefined) return 'unreachable'
    const batcher = session.batcher
    // A send from a pid of another node (forwarded with its sender) cannot be batched: a batch implies both nodes.
    if (batcher.canBatch && (from === undefined || from.node === this.name)) {
      const bound = sizeBound(msg, batcher.batchMessageBytes)
      if (bound >= 0) {
        batcher.enqueueBatched(to, from, msg, bound)
        session.messagesOut++
        return session.backpressure.isBusy(batcher.unsentBytes) ? 'busy' : 'ok'
      }
    }
    // Too large for a batch: a bound on its size (cheap for bytes and strings) lets the codec size its buffer, unless
    // the message is a Buffer that stays out of the encoding anyway (encodeParts).
    const control: ControlMessage = { type: 'send', to, from, msg }
    if (msg instanceof Buffer && msg.length >= batcher.spliceBytes) return this.#send(to.node, control)
    const bound = sizeBound(msg, this.#o.maxMessageBytes)
    const envelope = 64 + (to.node.length + (from?.node.length ?? 0)) * 3
    // Large Buffers inside the message stay out of its encoding, so the hint leaves them out too: counted, they made
    // the codec allocate a buffer the size of the whole message for an encoding of a few bytes around them.
    return this.#send(to.node, control, bound < 0 ? undefined : bound - splicedBytesOfLastBound() + envelope)
  }

  /** Writes what is queued for `node` now (Distribution.flush); a peer with no session has nothing queued. */
  #flush(node: string): void {
    this.#peers.get(node)?.session?.batcher.flushNow()
  }

  /** The session to `node`, opened (and dialled) on first use; undefined when `node` cannot be reached. */
  #sessionFor(node: string): PeerSession | undefined {
    // Sends come in runs to one node; comparing interned names beats the Map lookup. Peers are never removed.
    let peer = this.#lastPeer
    if (peer === undefined || peer.name !== node) {
      peer = this.#peers.get(node)
      if (peer !== undefined) this.#lastPeer = peer
    }
    if (peer === undefined || this.#closing !== undefined) return undefined
    let session = peer.session
    if (session === undefined) {
      if (peer.url === undefined) return undefined
      session = this.#openSession(peer)
      if (peer.outbound === undefined) this.#connections.dial(peer)
    }
    return session
  }

  #openSession(peer: Peer): PeerSession {
    // Batches stay well inside what the peer accepts as one entry (maxMessageBytes) and what one flush writes.
    const batchBytes = Math.min(this.#o.flushThresholdBytes, Math.floor(this.#o.maxMessageBytes / 4), 64 * 1024)
    const session = createSession({ ...this.#o, names: { local: this.name, peer: peer.name }, batchBytes })
    peer.session = session
    return session
  }

  // ---- peers ------------------------------------------------------------------------------------------------------

  /** The peer named `name`, added on first mention. */
  #peer(name: string): Peer {
    let peer = this.#peers.get(name)
    if (peer === undefined) {
      peer = createPeer(name, undefined)
      this.#peers.set(peer.name, peer)
    }
    return peer
  }
}
