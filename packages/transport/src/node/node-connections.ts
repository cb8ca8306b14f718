/**
 * The connections of a node: dialling and accepting sockets, admitting authenticated peers under the tie and
 * incarnation rules, bringing a peer up (its session attached, nodeup, the transitive mesh announced) and down (its
 * session ended, nodedown, waiting connects failed). WebSocketNode owns the peers and their sessions; this owns the
 * sockets and what happens to a peer when one opens or closes.
 */
import type { IncomingMessage } from 'node:http'
import type { DistributionEndpoint } from '@cohort/core/distribution'
import type { Logger } from 'pino'
import { WebSocket } from 'ws'
import { CLOSE_CODES, closeCodeName } from '../wire/close-codes.ts'
import type { CloseCode } from '../wire/close-codes.ts'
import { Connection } from '../connection/connection.ts'
import type { ConnectionHost } from '../connection/connection.ts'
import { destroyOnceWritten } from '../connection/destroy-once-written.ts'
import { HandshakeFailedError } from '../errors.ts'
import type { LocalIdentity, PeerIdentity } from '../connection/handshake.ts'
import { BusyWait } from './busy-wait.ts'
import { HANDSHAKE_FAILURE_FIXES, HandshakeFailures, handshakeFailureReason } from './handshake-failures.ts'
import { decideAdmission, peerListFor } from './mesh.ts'
import type { NodeEvents } from './node-events.ts'
import type { ResolvedNodeOptions } from './node-options.ts'
import type { Peer, PeerSession } from './peer.ts'
import { clientTlsOptions } from './tls-options.ts'
import type { PeerAddress } from '../wire/transport-control.ts'
import { MAX_FRAME_BYTES } from '../wire/wire-codec.ts'
import { readInPlace } from './read-in-place.ts'
import { limitUnauthenticatedBytes, UNAUTHENTICATED_BYTES } from './unauthenticated-bytes.ts'

/**
 * How long a refused socket may take to get its close frame out before it is terminated (it is destroyed as soon as
 * the frame is written: destroy-once-written.ts); nothing it sends is read meanwhile.
 */
const REFUSED_GRACE_MS = 100

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

/** What the connections need of their node. */
export interface NodeConnectionsHost {
  readonly name: string
  readonly hidden: boolean
  readonly options: ResolvedNodeOptions
  readonly log: Logger
  readonly events: NodeEvents
  readonly endpoint: DistributionEndpoint
  /** The peers by name; `peer` adds one on first mention. */
  readonly peers: ReadonlyMap<string, Peer>
  peer(name: string): Peer
  openSession(peer: Peer): PeerSession
  isClosing(): boolean
  /** This node's identity for handshakes (known once it listens). */
  local(): LocalIdentity
}

/** The sockets of one node and the peer lifecycle they drive. */
export class NodeConnections {
  /** Every connection not yet closed, handshaking or up. */
  readonly all = new Set<Connection>()
  readonly #pendingInbound = new Set<Connection>()
  readonly #h: NodeConnectionsHost
  /** Keeps the loop polling after each frame read, when `busyWaitMs` asks for it. */
  readonly busyWait: BusyWait
  /** What each connection reports to (and asks of) its node. */
  readonly host: ConnectionHost
  accepted = 0
  refused = 0
  failed = 0
  /** Pending handshakes closed to make room for a newer socket. */
  evicted = 0
  /** Unauthenticated sockets destroyed for sending more than UNAUTHENTICATED_BYTES. */
  oversized = 0
  /** Failures before a connection was up, by reason, each logged once per peer. */
  readonly handshakeFailures = new HandshakeFailures()

  constructor(h: NodeConnectionsHost) {
    this.#h = h
    this.busyWait = new BusyWait(h.options.busyWaitMs)
    this.host = {
      get local(): LocalIdentity {
        return h.local()
      },
      clock: h.options.clock,
      logger: h.log,
      tickMs: h.options.tickMs,
      handshakeTimeoutMs: h.options.handshakeTimeoutMs,
      helloTimeoutMs: h.options.helloTimeoutMs,
      maxMessageBytes: h.options.maxMessageBytes,
      admit: (conn, peer) => this.#admit(conn, peer),
      up: (conn) => this.#up(conn),
      endpoint: h.endpoint,
      tickDiffers: (conn, peerTickMs) => this.#tickDiffers(conn, peerTickMs),
      peers: (conn, peers) => this.#onPeers(conn, peers),
      closed: (conn, code, reason) => this.#closed(conn, code, reason),
    }
  }

  /** Peers whose different `tickMs` was logged already: once per peer, not per reconnect. */
  readonly #tickLogged = new Set<string>()
  /** The warning that sockets cannot be read in place was logged (once a node: it is the same for every socket). */
  #warnedReadInPlace = false

  #tickDiffers(conn: Connection, peerTickMs: number): void {
    const peer = conn.peer?.name
    if (peer === undefined || this.#tickLogged.has(peer)) return
    this.#tickLogged.add(peer)
    const localTickMs = this.#h.options.tickMs
    this.#h.log.warn(
      { peer, tickMs: localTickMs, peerTickMs, agreedTickMs: Math.max(localTickMs, peerTickMs) },
      'peer uses another tickMs; the connection uses the larger. Give every node the same tickMs (COHORT_TICK_MS)',
    )
  }

  /** Inbound connections between their socket opening and their handshake's end. */
  get pendingHandshakes(): number {
    return this.#pendingInbound.size
  }

  /** True for a connection to or from a hidden node, or any connection of a hidden node. */
  isHidden(conn: Connection): boolean {
    return this.#h.hidden || conn.peer?.hidden === true
  }

  /** An authenticated inbound from `name` is being admitted (our dial to it lost the tie): it will come up. */
  #hasPendingInbound(name: string): boolean {
    for (const c of this.#pendingInbound) if (c.peer?.name === name && c.state === 'handshaking') return true
    return false
  }

  /**
   * Dials `peer.url`, or schedules the dial for when the peer's reconnect backoff has passed; the connection comes up
   * (and the peer's session with it) once the handshake succeeds.
   */
  dial(peer: Peer): void {
    if (peer.outbound !== undefined || peer.dialTimer !== undefined || this.#h.isClosing()) return
    const clock = this.#h.options.clock
    const waitMs = peer.backoff.waitMs(clock.now())
    if (waitMs > 0) {
      peer.dialTimer = clock.setTimeout(() => {
        peer.dialTimer = undefined
        if (peer.conn === undefined && (peer.session !== undefined || peer.waiters.length > 0)) this.dial(peer)
      }, waitMs)
      return
    }
    const url = peer.url as string
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: this.#h.options.handshakeTimeoutMs,
      ...(this.#h.options.maskFrames ? {} : { generateMask: zeroMask }),
      ...clientTlsOptions(this.#h.options.tls),
    })
    const conn = new Connection(this.host, ws, 'client', url, peer.name)
    peer.outbound = conn
    this.all.add(conn)
    let socket: import('node:stream').Duplex | undefined
    ws.on('upgrade', (res) => {
      socket = res.socket
    })
    ws.on('open', () => {
      // Added after ws's own listener (see unauthenticated-bytes.ts); the upgrade response gave us the socket.
      if (socket !== undefined) {
        conn.onAuthenticated = this.#authenticated(socket, conn)
        conn.setStream(socket)
      }
      conn.start()
    })
    this.#wire(ws, conn)
  }

  /** Stops scheduled dials and fails their waiters (the node is closing). */
  stopDialling(): void {
    for (const peer of this.#h.peers.values()) {
      if (peer.dialTimer === undefined) continue
      this.#h.options.clock.clearTimeout(peer.dialTimer)
      peer.dialTimer = undefined
      if (peer.conn === undefined && peer.outbound === undefined) this.#dialFailed(peer, undefined, CLOSE_CODES.shutdown, 'this node is closing')
    }
  }

  /**
   * Prepares `conn`'s freshly upgraded socket (from ws's `open` or `connection`, before it reads again): bounds what
   * it may send before it authenticates, and reads it in place where it can. Returns what to do once it authenticated:
   * lift the bound, and let large frames be read in place.
   */
  #authenticated(socket: import('node:stream').Duplex, conn: Connection): () => void {
    const lift = this.#limit(socket, conn)
    if (!this.#h.options.readInPlace) return lift
    const reader = readInPlace(socket, MAX_FRAME_BYTES)
    if (typeof reader === 'string') {
      if (reader === 'node-internals-differ' && !this.#warnedReadInPlace) {
        this.#warnedReadInPlace = true
        this.#h.log.warn(
          { node: process.version, fix: 'nothing to do: connections work, large messages are slower; readInPlace: false silences this' },
          "reading large frames in place is not available: this Node's socket internals differ, so sockets are read the default way",
        )
      }
      return lift
    }
    conn.inPlaceReader = reader
    return () => {
      lift()
      reader.readLargeFramesInPlace = true
    }
  }

  /** Bounds what `conn`'s socket may send before it authenticates; returns the function that lifts the bound. */
  #limit(socket: import('node:stream').Duplex, conn: Connection): () => void {
    return limitUnauthenticatedBytes(socket, UNAUTHENTICATED_BYTES, (bytes) => {
      this.oversized++
      this.#h.log.warn(
        { peer: conn.remoteAddress, conn: conn.id, bytes, reason: `more than ${UNAUTHENTICATED_BYTES} bytes before the handshake finished` },
        'unauthenticated socket sent too much',
      )
    })
  }

  /**
   * An inbound WebSocket: refused while closing; when the pending handshakes are all taken, an older one is evicted
   * to make room (`#evictFor`) or, failing that, this one is refused (4012). Until it authenticates, the socket may
   * send at most UNAUTHENTICATED_BYTES.
   */
  accept(ws: WebSocket, req: IncomingMessage): void {
    const address = req.socket.remoteAddress ?? ''
    const remote = `${address}:${req.socket.remotePort}`
    if (this.#h.isClosing()) {
      this.#refuse(ws, req, CLOSE_CODES.shutdown, 'node closing')
      return
    }
    const o = this.#h.options
    let fromAddress = 0
    let oldestFromAddress: Connection | undefined
    for (const c of this.#pendingInbound) {
      if (c.remoteHost !== address) continue
      fromAddress++
      oldestFromAddress ??= c
    }
    // One address may hold only so many slots: its own oldest makes room for its newest.
    if (fromAddress >= o.maxPendingHandshakesPerAddress && oldestFromAddress !== undefined) {
      this.#evict(oldestFromAddress, `more than ${o.maxPendingHandshakesPerAddress} handshakes in progress from ${address}`)
    }
    if (this.#pendingInbound.size >= o.maxPendingHandshakes && !this.#evictFor()) {
      this.refused++
      if (this.refused === 1 || this.refused % 1000 === 0) {
        this.#h.log.warn({ peer: remote, closeCode: CLOSE_CODES.tooManyConnections, reason: `${this.refused} refused so far` }, 'too many handshakes in progress')
      }
      this.#refuse(ws, req, CLOSE_CODES.tooManyConnections, 'too many handshakes in progress')
      return
    }
    this.accepted++
    const conn = new Connection(this.host, ws, 'server', remote)
    conn.remoteHost = address
    this.all.add(conn)
    this.#pendingInbound.add(conn)
    conn.onAuthenticated = this.#authenticated(req.socket, conn)
    conn.setStream(req.socket)
    this.#wire(ws, conn)
  }

  /**
   * Closes one pending handshake to make room for a new socket: the oldest that has not said hello, else the oldest
   * whose claimed name is not a peer this node knows a URL for (discovery's, a connect's or a peer list's). False
   * when every slot holds a known peer's handshake.
   */
  #evictFor(): boolean {
    let victim: Connection | undefined
    for (const c of this.#pendingInbound) {
      if (c.state !== 'handshaking') continue
      if (!c.saidHello) {
        victim = c
        break
      }
      const claimed = c.peerName
      if (victim === undefined && (claimed === undefined || this.#h.peers.get(claimed)?.url === undefined)) victim = c
    }
    if (victim === undefined) return false
    this.#evict(victim, 'evicted to make room for a newer handshake')
    return true
  }

  #evict(conn: Connection, reason: string): void {
    this.evicted++
    if (this.evicted === 1 || this.evicted % 1000 === 0) {
      this.#h.log.warn({ peer: conn.remoteAddress, conn: conn.id, closeCode: CLOSE_CODES.tooManyConnections, reason: `${reason} (${this.evicted} so far)` }, 'pending handshake evicted')
    }
    // Its socket stays under the unauthenticated byte limit until close() destroys it, once its close frame is out.
    conn.close(CLOSE_CODES.tooManyConnections, reason)
  }

  /** Closes a socket that is not admitted to the handshake: nothing it sends is read, and it is destroyed soon. */
  #refuse(ws: WebSocket, req: IncomingMessage, code: number, reason: string): void {
    const socket = req.socket
    limitUnauthenticatedBytes(socket, 0, () => undefined)
    ws.on('error', () => undefined)
    ws.close(code, reason)
    destroyOnceWritten(socket)
    const timer = this.#h.options.clock.setTimeout(() => ws.terminate(), REFUSED_GRACE_MS)
    ws.once('close', () => this.#h.options.clock.clearTimeout(timer))
  }

  #wire(ws: WebSocket, conn: Connection): void {
    ws.binaryType = 'nodebuffer'
    ws.on('message', (data, isBinary) => {
      this.busyWait.frameRead()
      conn.receive(data as Buffer, isBinary)
    })
    ws.on('close', (code, reason) => conn.socketClosed(code, reason.toString()))
    ws.on('error', (err) => {
      conn.lastError = err
      this.#h.log.debug({ peer: conn.peerName ?? conn.remoteAddress, conn: conn.id, reason: err.message }, 'socket error')
    })
  }

  #admit(conn: Connection, peer: PeerIdentity): CloseCode | undefined {
    if (this.#h.isClosing()) return CLOSE_CODES.shutdown
    const existing = this.#h.peers.get(peer.name)
    const live = existing?.conn !== conn ? existing?.conn : undefined
    const dialling = existing?.outbound !== conn ? existing?.outbound : undefined
    const decision = decideAdmission({
      localName: this.#h.name,
      peerName: peer.name,
      peerCreation: peer.creation,
      role: conn.role,
      liveCreation: live?.peer?.creation,
      dialling: dialling !== undefined,
    })
    if (decision.refuse) return CLOSE_CODES.duplicate
    if (decision.replaceLive && live !== undefined) {
      this.#h.log.info({ peer: peer.name }, 'peer restarted: replacing the connection to its old incarnation')
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
    this.handshakeFailures.up(identity.name)
    const peer = this.#h.peer(identity.name)
    peer.url = identity.url
    peer.conn = conn
    peer.backoff.reset()
    if (peer.dialTimer !== undefined) {
      this.#h.options.clock.clearTimeout(peer.dialTimer)
      peer.dialTimer = undefined
    }
    if (peer.outbound === conn) peer.outbound = undefined
    const session = peer.session ?? this.#h.openSession(peer)
    session.wasUp = true
    conn.attach(session.batcher)
    const hidden = this.isHidden(conn)
    this.#h.endpoint.nodeUp(peer.name, { hidden })
    if (!hidden) {
      this.#h.log.info({ peer: peer.name, conn: conn.id }, 'peer connected')
      this.#h.events.emit('nodeup', peer.name)
      this.#announce(peer.name, identity.url, conn)
    } else {
      this.#h.log.info({ peer: peer.name, conn: conn.id }, 'hidden peer connected')
    }
    const waiters = peer.waiters
    peer.waiters = []
    for (const w of waiters) w.resolve()
  }

  /** Transitive mesh: the new peer learns our visible peers, and they learn about it. */
  #announce(name: string, url: string, conn: Connection): void {
    const visible: PeerAddress[] = []
    for (const p of this.#h.peers.values()) {
      if (p.conn !== undefined && p.conn.state === 'up' && !this.isHidden(p.conn) && p.url !== undefined) visible.push({ name: p.name, url: p.url })
    }
    conn.sendControl({ type: 'peers', peers: peerListFor(name, visible) })
    for (const p of this.#h.peers.values()) {
      if (p.name !== name && p.conn !== undefined && p.conn.state === 'up' && !this.isHidden(p.conn)) {
        p.conn.sendControl({ type: 'peers', peers: [{ name, url }] })
      }
    }
  }

  #onPeers(conn: Connection, peers: PeerAddress[]): void {
    if (this.#h.hidden || this.isHidden(conn) || this.#h.isClosing()) return
    for (const p of peers) {
      if (p.name === this.#h.name) continue
      const peer = this.#h.peer(p.name)
      if (peer.conn !== undefined) continue
      peer.url = p.url
      if (peer.outbound === undefined) {
        this.#h.log.debug({ peer: p.name, url: p.url }, 'dialling peer learnt from the mesh')
        this.dial(peer)
      }
    }
  }

  #closed(conn: Connection, code: number, reason: string): void {
    this.all.delete(conn)
    this.#pendingInbound.delete(conn)
    if (FAILURE_CODES.has(code)) this.failed++
    this.#handshakeFailed(conn, code, reason)
    // The proven name, else the claimed one (server side, handshake unfinished), else the dialled one.
    const proven = conn.peer !== undefined
    const name = conn.peerName
    if (name === undefined) return
    const peer = this.#h.peers.get(name)
    if (peer === undefined) return
    if (peer.outbound === conn) peer.outbound = undefined
    if (peer.conn === conn) {
      peer.conn = undefined
      peer.backoff.reset()
      // A close this node chose (downReason set) is never the peer leaving, whatever code it carried.
      const leaving = conn.downReason === undefined && (conn.leaving || code === CLOSE_CODES.leaving)
      const downReason = leaving ? 'leaving' : (conn.downReason ?? 'noconnection')
      const fields = { peer: name, conn: conn.id, closeCode: code, reason: reason || closeCodeName(code) }
      if (leaving) this.#h.log.info(fields, 'peer left')
      else if (code === CLOSE_CODES.shutdown || conn.downReason !== undefined) this.#h.log.info(fields, 'peer disconnected')
      else this.#h.log.warn(fields, 'peer lost')
      this.#endSession(peer, downReason, !this.isHidden(conn))
      return
    }
    if (peer.conn !== undefined || peer.outbound !== undefined || this.#hasPendingInbound(name)) return
    // An unauthenticated socket claiming this name failed: it says nothing about the real node.
    if (conn.role === 'server' && !proven) return
    if (code === CLOSE_CODES.duplicate && conn.role === 'client') {
      // The peer has a connection to us or is dialling us and won the tie: that one is coming, not a failure. Waiters
      // wait for it, for a handshake's time at most.
      this.#awaitOther(peer)
      return
    }
    if (conn.role === 'client') peer.backoff.failed(this.#h.options.clock.now(), this.#h.options.reconnectMinMs, this.#h.options.reconnectMaxMs, this.#h.options.random)
    this.#dialFailed(peer, conn, code, reason)
  }

  /** After a lost tie: fails the peer's waiters and session if no connection to it came up within a handshake's time. */
  #awaitOther(peer: Peer): void {
    if (peer.dialTimer !== undefined) return
    // Held as the peer's dial timer: no redial meanwhile (it would lose the tie again), and a closing node clears it.
    peer.dialTimer = this.#h.options.clock.setTimeout(() => {
      peer.dialTimer = undefined
      if (peer.conn !== undefined || peer.outbound !== undefined || this.#hasPendingInbound(peer.name)) return
      if (peer.waiters.length === 0 && peer.session === undefined) return
      this.#dialFailed(peer, undefined, CLOSE_CODES.duplicate, 'the peer won the simultaneous connect, but its connection never came up')
    }, this.#h.options.handshakeTimeoutMs)
  }

  #dialFailed(peer: Peer, conn: Connection | undefined, code: number, reason: string): void {
    const name = peer.name
    // A dial failed and no other connection to that node is coming: what was queued for it cannot be sent.
    const failure = handshakeFailureReason(code, conn?.lastError !== undefined)
    const detail =
      (conn?.lastError?.message ?? `closed with ${code} (${closeCodeName(code)})${reason ? `: ${reason}` : ''}`) +
      (failure === 'cookie' || failure === 'version' ? `; ${HANDSHAKE_FAILURE_FIXES[failure]}` : '')
    const error = new HandshakeFailedError(conn?.remoteAddress ?? peer.url ?? name, detail, code, { cause: conn?.lastError })
    if (peer.waiters.length === 0) this.#h.log.debug({ peer: name, closeCode: code, reason: error.message }, 'connection attempt failed')
    const waiters = peer.waiters
    peer.waiters = []
    for (const w of waiters) w.reject(error)
    this.#endSession(peer, 'noconnection', false)
  }

  /** Counts and (once per peer and reason) logs a connection that closed before it was up. */
  #handshakeFailed(conn: Connection, code: number, reason: string): void {
    if (conn.wasUp) return
    const failure = handshakeFailureReason(code, conn.lastError !== undefined)
    if (failure === undefined) return
    // An inbound socket's port changes on every attempt; its address alone names the peer until it names itself.
    const who = conn.peerName ?? conn.remoteAddress.replace(/:\d+$/, '')
    if (!this.handshakeFailures.record(who, failure)) return
    const fields = {
      peer: who,
      address: conn.remoteAddress,
      conn: conn.id,
      closeCode: code,
      reason: conn.lastError?.message ?? (reason || closeCodeName(code)),
      fix: HANDSHAKE_FAILURE_FIXES[failure],
    }
    if (failure === 'cookie') {
      const side = conn.closedByPeer ? 'the peer refused this node\'s cookie proof' : 'the peer\'s cookie proof did not match'
      this.#h.log.error(fields, `handshake failed: cookies differ (${side}); set the same cookie on every node`)
    } else if (failure === 'unreachable') this.#h.log.info(fields, 'peer unreachable') // joinCluster's redial line is the warning
    else this.#h.log.warn(fields, `handshake failed: ${failure}`)
  }

  #endSession(peer: Peer, reason: string, emit: boolean): void {
    const session = peer.session
    peer.session = undefined
    if (session !== undefined) {
      session.batcher.close()
      session.backpressure.release()
    }
    if (session !== undefined && (session.wasUp || session.messagesOut > 0)) {
      this.#h.endpoint.nodeDown(peer.name, reason)
    }
    if (emit) this.#h.events.emit('nodedown', peer.name, reason)
  }
}

/**
 * ws's mask generator for `maskFrames: false`: a zero key, with which ws skips masking and sends the caller's bytes
 * as they are (node-options.ts says why that is safe between nodes).
 */
function zeroMask(mask: Buffer): void {
  mask.fill(0)
}
