/**
 * ClusterNode: the node behind `startNode`. It owns the peers (at most one live connection each, plus a dial in
 * progress and the outgoing session), admits authenticated connections under the tie and incarnation rules, keeps
 * the transitive mesh, implements core's Distribution and reports node events.
 */
import type { IncomingMessage } from 'node:http'
import { createActorSystem, internNodeName, InvalidOptionError } from '@cohort/core'
import type { ActorSystem, ControlMessage, Distribution, DistributionEndpoint, DistributionSendResult, Pid } from '@cohort/core'
import type { Logger } from 'pino'
import { WebSocket } from 'ws'
import { CLOSE_CODES, closeCodeName } from './close-codes.ts'
import type { CloseCode } from './close-codes.ts'
import { Connection } from './connection.ts'
import type { ConnectionHost } from './connection.ts'
import { HandshakeFailedError, MessageTooLargeError } from './errors.ts'
import type { LocalIdentity, PeerIdentity } from './handshake.ts'
import { decideAdmission, peerListFor } from './mesh.ts'
import { NodeEvents } from './node-events.ts'
import type { NodeEventMap, NodeEventName } from './node-events.ts'
import { isNodeName } from './node-name.ts'
import { isWebSocketUrl } from './node-options.ts'
import type { ResolvedNodeOptions } from './node-options.ts'
import { advertisedUrl, listenNodeServer } from './node-server.ts'
import type { NodeServer } from './node-server.ts'
import { createPeer, createSession } from './peer.ts'
import type { Peer, PeerSession } from './peer.ts'
import type { CohortNode, NodeStats, PeerStats } from './start-node.ts'
import { clientTlsOptions } from './tls-options.ts'
import { LEAVING_CONTROL } from './transport-control.ts'
import type { PeerAddress } from './transport-control.ts'
import { MAX_FRAME_BYTES } from './wire-codec.ts'
import { sizeBound } from './size-bound.ts'

/** Close codes that count as a failed connection in `stats().connectionsFailed`. */
const FAILURE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.handshakeFailed,
  CLOSE_CODES.handshakeTimeout,
  CLOSE_CODES.versionMismatch,
  CLOSE_CODES.handshakeInvalid,
  CLOSE_CODES.malformed,
  CLOSE_CODES.unknownControl,
  CLOSE_CODES.messageTooLarge,
  CLOSE_CODES.textFrame,
  CLOSE_CODES.tickTimeout,
])

/** The node behind `startNode`. */
export class ClusterNode implements CohortNode {
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
  readonly #connections = new Set<Connection>()
  readonly #pendingInbound = new Set<Connection>()
  readonly #host: ConnectionHost
  #local: LocalIdentity | undefined
  #server: NodeServer | undefined
  #closing: Promise<void> | undefined
  #leaving = false
  #accepted = 0
  #refused = 0
  #failed = 0

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
      send: (node, control) =>
        control.type === 'send' ? this.#sendMessage(control.to, control.from, control.msg) : this.#send(node, control),
      sendMessage: (to, from, msg) => this.#sendMessage(to, from, msg),
      drain: (node) => this.drain(node),
      nodes: () => this.nodes(),
    }
    this.#endpoint = this.system.attachDistribution(this.distribution)
    const self = this
    this.#host = {
      get local(): LocalIdentity {
        return self.#local as LocalIdentity
      },
      clock: o.clock,
      logger: this.#log,
      tickMs: o.tickMs,
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      maxMessageBytes: o.maxMessageBytes,
      admit: (conn, peer) => this.#admit(conn, peer),
      up: (conn) => this.#up(conn),
      deliver: (conn, message) => {
        try {
          this.#endpoint.deliver((conn.peer as PeerIdentity).name, message)
        } catch (error) {
          this.#log.error({ err: error, peer: conn.peer?.name }, 'system failed to handle a control message')
        }
      },
      deliverSends: (conn, to, msgs, start, end) => {
        try {
          this.#endpoint.deliverSends(to, msgs, start, end)
        } catch (error) {
          this.#log.error({ err: error, peer: conn.peer?.name }, 'system failed to handle a control message')
        }
      },
      peers: (conn, peers) => this.#onPeers(conn, peers),
      closed: (conn, code, reason) => this.#closed(conn, code, reason),
    }
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------------

  async listen(): Promise<void> {
    const o = this.#o
    try {
      this.#server = await listenNodeServer(o, this.#log, {
        connection: (ws, req) => this.#accept(ws, req),
        tlsFailure: () => void this.#failed++,
      })
    } catch (error) {
      await this.system.shutdown()
      throw error
    }
    this.port = this.#server.port
    this.url = advertisedUrl(o, this.port)
    this.#local = { name: o.name, creation: this.system.creation, url: this.url, hidden: o.hidden, cookie: o.cookie }
    this.#log.info({ url: this.url, hidden: o.hidden }, 'node listening')
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
    // Actors stop while connections are still up, so remote links see their real exit reasons.
    try {
      await this.system.shutdown()
    } catch (error) {
      this.#log.error({ err: error }, 'system shutdown failed')
    }
    for (const conn of [...this.#connections]) {
      if (this.#leaving && conn.state === 'up') {
        conn.sendControl(LEAVING_CONTROL)
        conn.close(CLOSE_CODES.leaving, 'node leaving')
      } else {
        conn.downReason = 'shutdown'
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
    if (peer.outbound === undefined) this.#dial(peer)
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
    for (const p of this.#peers.values()) if (p.conn !== undefined && !this.#isHidden(p.conn)) out.push(p.name)
    return out
  }

  hiddenNodes(): string[] {
    const out: string[] = []
    for (const p of this.#peers.values()) if (p.conn !== undefined && this.#isHidden(p.conn)) out.push(p.name)
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
        hidden: conn !== undefined && this.#isHidden(conn),
        messagesIn: conn?.messagesIn ?? 0,
        messagesOut: p.session?.messagesOut ?? 0,
        bytesIn: conn?.bytesIn ?? 0,
        bytesOut: p.session?.batcher.bytesOut ?? 0,
        queuedBytes: p.session?.batcher.unsentBytes ?? 0,
      })
    }
    return {
      node: this.name,
      url: this.url,
      peers,
      pendingHandshakes: this.#pendingInbound.size,
      connectionsAccepted: this.#accepted,
      connectionsRefused: this.#refused,
      connectionsFailed: this.#failed,
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
   * `sizeHint` bounds its encoded size when known (large messages).
   */
  #send(node: string, control: ControlMessage, sizeHint?: number): DistributionSendResult {
    const session = this.#sessionFor(node)
    if (session === undefined) return 'unreachable'
    const batcher = session.batcher
    if (!batcher.enqueueBatchedControl(control)) {
      const bytes = batcher.encode(control, sizeHint)
      if (bytes.length > this.#o.maxMessageBytes) throw new MessageTooLargeError(node, bytes.length, this.#o.maxMessageBytes)
      batcher.enqueueEncoded(bytes, (control as { from?: unknown }).from)
    }
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
    // Too large for a batch: a bound on its size (cheap for bytes and strings) lets the codec size its buffer.
    const bound = sizeBound(msg, this.#o.maxMessageBytes)
    const envelope = 64 + (to.node.length + (from?.node.length ?? 0)) * 3
    return this.#send(to.node, { type: 'send', to, from, msg }, bound < 0 ? undefined : bound + envelope)
  }

  /** The session to `node`, opened (and dialled) on first use; undefined when `node` cannot be reached. */
  #sessionFor(node: string): PeerSession | undefined {
    const peer = this.#peers.get(node)
    if (peer === undefined || this.#closing !== undefined) return undefined
    let session = peer.session
    if (session === undefined) {
      if (peer.url === undefined) return undefined
      session = this.#openSession(peer)
      if (peer.outbound === undefined) this.#dial(peer)
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

  // ---- connections ------------------------------------------------------------------------------------------------

  #peer(name: string): Peer {
    let peer = this.#peers.get(name)
    if (peer === undefined) {
      peer = createPeer(name, undefined)
      this.#peers.set(peer.name, peer)
    }
    return peer
  }

  #isHidden(conn: Connection): boolean {
    return this.hidden || conn.peer?.hidden === true
  }

  /** An authenticated inbound from `name` is being admitted (our dial to it lost the tie): it will come up. */
  #hasPendingInbound(name: string): boolean {
    for (const c of this.#pendingInbound) if (c.peer?.name === name && c.state === 'handshaking') return true
    return false
  }

  #dial(peer: Peer): void {
    const url = peer.url as string
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: this.#o.handshakeTimeoutMs,
      ...clientTlsOptions(this.#o.tls),
    })
    const conn = new Connection(this.#host, ws, 'client', url, peer.name)
    peer.outbound = conn
    this.#connections.add(conn)
    ws.on('open', () => conn.start())
    this.#wire(ws, conn)
  }

  #accept(ws: WebSocket, req: IncomingMessage): void {
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`
    if (this.#closing !== undefined) {
      ws.close(CLOSE_CODES.shutdown, 'node closing')
      return
    }
    if (this.#pendingInbound.size >= this.#o.maxPendingHandshakes) {
      this.#refused++
      if (this.#refused === 1 || this.#refused % 1000 === 0) {
        this.#log.warn({ peer: remote, closeCode: CLOSE_CODES.tooManyConnections, reason: `${this.#refused} refused so far` }, 'too many handshakes in progress')
      }
      ws.close(CLOSE_CODES.tooManyConnections, 'too many handshakes in progress')
      return
    }
    this.#accepted++
    const conn = new Connection(this.#host, ws, 'server', remote)
    this.#connections.add(conn)
    this.#pendingInbound.add(conn)
    this.#wire(ws, conn)
  }

  #wire(ws: WebSocket, conn: Connection): void {
    ws.binaryType = 'nodebuffer'
    ws.on('message', (data, isBinary) => conn.receive(data as Buffer, isBinary))
    ws.on('close', (code, reason) => conn.socketClosed(code, reason.toString()))
    ws.on('error', (err) => {
      conn.lastError = err
      this.#log.debug({ peer: conn.peerName ?? conn.remoteAddress, conn: conn.id, reason: err.message }, 'socket error')
    })
  }

  #admit(conn: Connection, peer: PeerIdentity): CloseCode | undefined {
    if (this.#closing !== undefined) return CLOSE_CODES.shutdown
    const existing = this.#peers.get(peer.name)
    const live = existing?.conn !== conn ? existing?.conn : undefined
    const dialling = existing?.outbound !== conn ? existing?.outbound : undefined
    const decision = decideAdmission({
      localName: this.name,
      peerName: peer.name,
      peerCreation: peer.creation,
      role: conn.role,
      liveCreation: live?.peer?.creation,
      dialling: dialling !== undefined,
    })
    if (decision.refuse) return CLOSE_CODES.duplicate
    if (decision.replaceLive && live !== undefined) {
      this.#log.info({ peer: peer.name }, 'peer restarted: replacing the connection to its old incarnation')
      live.close(CLOSE_CODES.superseded, 'replaced by a new incarnation of the node')
    }
    if (decision.dropDial && dialling !== undefined) {
      dialling.close(CLOSE_CODES.duplicate, 'simultaneous connect: the connection opened by the smaller name wins')
    }
    return undefined
  }

  #up(conn: Connection): void {
    const identity = conn.peer as PeerIdentity
    this.#pendingInbound.delete(conn)
    const peer = this.#peer(identity.name)
    peer.url = identity.url
    peer.conn = conn
    if (peer.outbound === conn) peer.outbound = undefined
    const session = peer.session ?? this.#openSession(peer)
    session.wasUp = true
    conn.attach(session.batcher)
    const hidden = this.#isHidden(conn)
    this.#callEndpoint(() => this.#endpoint.nodeUp(peer.name, { hidden }))
    if (!hidden) {
      this.#log.info({ peer: peer.name, conn: conn.id }, 'peer connected')
      this.#events.emit('nodeup', peer.name)
      this.#announce(peer.name, identity.url, conn)
    } else {
      this.#log.info({ peer: peer.name, conn: conn.id }, 'hidden peer connected')
    }
    const waiters = peer.waiters
    peer.waiters = []
    for (const w of waiters) w.resolve()
  }

  /** Transitive mesh: the new peer learns our visible peers, and they learn about it. */
  #announce(name: string, url: string, conn: Connection): void {
    const visible: PeerAddress[] = []
    for (const p of this.#peers.values()) {
      if (p.conn !== undefined && p.conn.state === 'up' && !this.#isHidden(p.conn) && p.url !== undefined) visible.push({ name: p.name, url: p.url })
    }
    conn.sendControl({ type: 'peers', peers: peerListFor(name, visible) })
    for (const p of this.#peers.values()) {
      if (p.name !== name && p.conn !== undefined && p.conn.state === 'up' && !this.#isHidden(p.conn)) {
        p.conn.sendControl({ type: 'peers', peers: [{ name, url }] })
      }
    }
  }

  #onPeers(conn: Connection, peers: PeerAddress[]): void {
    if (this.hidden || this.#isHidden(conn) || this.#closing !== undefined) return
    for (const p of peers) {
      if (p.name === this.name) continue
      const peer = this.#peer(p.name)
      if (peer.conn !== undefined) continue
      peer.url = p.url
      if (peer.outbound === undefined) {
        this.#log.debug({ peer: p.name, url: p.url }, 'dialling peer learnt from the mesh')
        this.#dial(peer)
      }
    }
  }

  #closed(conn: Connection, code: number, reason: string): void {
    this.#connections.delete(conn)
    this.#pendingInbound.delete(conn)
    if (FAILURE_CODES.has(code)) this.#failed++
    // The proven name, else the claimed one (server side, handshake unfinished), else the dialled one.
    const proven = conn.peer !== undefined
    const name = conn.peerName
    if (name === undefined) return
    const peer = this.#peers.get(name)
    if (peer === undefined) return
    if (peer.outbound === conn) peer.outbound = undefined
    if (peer.conn === conn) {
      peer.conn = undefined
      const leaving = conn.leaving || code === CLOSE_CODES.leaving
      const downReason = leaving ? 'leaving' : (conn.downReason ?? 'noconnection')
      const fields = { peer: name, conn: conn.id, closeCode: code, reason: reason || closeCodeName(code) }
      if (leaving) this.#log.info(fields, 'peer left')
      else if (code === CLOSE_CODES.shutdown || conn.downReason !== undefined) this.#log.info(fields, 'peer disconnected')
      else this.#log.warn(fields, 'peer lost')
      this.#endSession(peer, downReason, !this.#isHidden(conn))
      return
    }
    if (peer.conn !== undefined || peer.outbound !== undefined || this.#hasPendingInbound(name)) return
    // An unauthenticated socket claiming this name failed: it says nothing about the real node.
    if (conn.role === 'server' && !proven) return
    // A dial failed and no other connection to that node is coming: what was queued for it cannot be sent.
    const detail = conn.lastError?.message ?? `closed with ${code} (${closeCodeName(code)})${reason ? `: ${reason}` : ''}`
    const error = new HandshakeFailedError(conn.remoteAddress, detail, code, { cause: conn.lastError })
    if (peer.waiters.length === 0) this.#log.debug({ peer: name, closeCode: code, reason: error.message }, 'connection attempt failed')
    const waiters = peer.waiters
    peer.waiters = []
    for (const w of waiters) w.reject(error)
    this.#endSession(peer, 'noconnection', false)
  }

  #endSession(peer: Peer, reason: string, emit: boolean): void {
    const session = peer.session
    peer.session = undefined
    if (session !== undefined) {
      session.batcher.close()
      session.backpressure.release()
    }
    if (session !== undefined && (session.wasUp || session.messagesOut > 0)) {
      this.#callEndpoint(() => this.#endpoint.nodeDown(peer.name, reason))
    }
    if (emit) this.#events.emit('nodedown', peer.name, reason)
  }

  #callEndpoint(fn: () => void): void {
    try {
      fn()
    } catch (error) {
      this.#log.error({ err: error }, 'system failed to handle a node event')
    }
  }
}
