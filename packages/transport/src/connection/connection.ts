/**
 * One WebSocket between this node and a peer, through its states:
 *
 *   handshaking ──(proofs check out, admitted)──▶ up ──(close, error, silence)──▶ closed
 *        └──────────────(bad proof, timeout, bad input)─────────────────────────▶ closed
 *
 * While handshaking only handshake messages are read (one msgpack value per frame); once up, frames are batches of
 * control messages, validated before they are handed to the node. Any protocol violation closes this connection
 * alone, with a close code and a logged reason; nothing is thrown to the caller.
 *
 * Hot path: `receive` once up (one frame → entries → validate → deliver).
 */
import { Buffer } from 'node:buffer'
import { createMessageCodec } from '@cohort/core'
import type { Clock, MessageCodec, TimerHandle } from '@cohort/core'
import type { DistributionEndpoint } from '@cohort/core/distribution'
import type { Logger } from 'pino'
import { CLOSE_CODES, closeCodeName } from '../wire/close-codes.ts'
import type { CloseCode } from '../wire/close-codes.ts'
import { checkCall, checkReply, CONTROL_CODES, toWire, validateControl } from '../wire/control-validation.ts'
import type { WireNames } from '../wire/control-validation.ts'
import { ProtocolError } from '../wire/protocol-error.ts'
import { CALL_MARK, readSendBatch } from '../wire/send-batch.ts'
import type { FrameBatcher, FrameSink } from './frame-batcher.ts'
import { Reassembler } from '../wire/fragmenter.ts'
import { ATTACHED_CODE, AttachmentReceiver } from '../wire/attachments.ts'
import { decodeHandshake, encodeHandshake } from '../wire/handshake-codec.ts'
import { ClientHandshake, ServerHandshake } from './handshake.ts'
import { destroyOnceWritten } from './destroy-once-written.ts'
import type { EndableStream } from './destroy-once-written.ts'
import type { LocalIdentity, PeerIdentity } from './handshake.ts'
import { agreedTickMs } from './tick-agreement.ts'
import { Ticker } from './ticker.ts'
import type { PeerAddress, WireControl } from '../wire/transport-control.ts'
import { TICK_CONTROL } from '../wire/transport-control.ts'
import { decodeAttachedEntry, decodeEntry, readFrame } from '../wire/wire-codec.ts'

/** The part of a `ws` WebSocket a connection uses (a fake in unit tests). */
export interface WireSocket {
  send(data: Buffer | Uint8Array, cb?: (err?: Error) => void): void
  close(code: number, reason: string): void
  terminate(): void
  /** Stops reading (TCP then fills and holds the sender back) and starts again (ws `pause()` and `resume()`). */
  pause(): void
  resume(): void
  readonly bufferedAmount: number
}

/**
 * The byte stream under the WebSocket (a `net` or `tls` socket), whose writes a flush holds and releases together, and
 * which a connection closed before it authenticated ends and destroys itself (destroy-once-written.ts).
 */
export interface CorkableStream extends EndableStream {
  cork(): void
  uncork(): void
}

/** What a connection asks of its node. */
export interface ConnectionHost {
  readonly local: LocalIdentity
  readonly clock: Clock
  readonly logger: Logger
  readonly tickMs: number
  readonly handshakeTimeoutMs: number
  /** An accepted socket that has not sent its hello by then is closed (4002), long before `handshakeTimeoutMs`. */
  readonly helloTimeoutMs: number
  readonly maxMessageBytes: number
  /** The peer proved the cookie: undefined admits it, a close code refuses it (duplicate, …). */
  admit(conn: Connection, peer: PeerIdentity): CloseCode | undefined
  /** The connection is up (handshake done, admitted). */
  up(conn: Connection): void
  /**
   * The system's one inbound path: what arrives once up is handed to it directly, each control message by
   * `deliver` or by the fast path its wire form allows, with what it weighed on the wire. It never throws (core
   * isolates the system's errors). A promise back means the recipient's mailbox is over its pressure mark: this
   * connection is not read until it resolves (`#hold`).
   */
  readonly endpoint: DistributionEndpoint
  peers(conn: Connection, peers: PeerAddress[]): void
  /** The peer announced a `tickMs` other than this node's; the connection uses the larger (tick-agreement.ts). */
  tickDiffers?(conn: Connection, peerTickMs: number): void
  /** Called once, when the connection ends for any reason. */
  closed(conn: Connection, code: number, reason: string): void
}

export type ConnectionState = 'handshaking' | 'up' | 'closed'

/** How long a closing socket may take to finish the WebSocket close handshake before it is terminated. */
const CLOSE_GRACE_MS = 2_000
/**
 * The same for a socket that never authenticated, if its close frame cannot be written sooner (a peer that reads
 * nothing): such a socket is destroyed as soon as the kernel has its close frame (destroy-once-written.ts).
 */
const UNAUTHENTICATED_CLOSE_GRACE_MS = 100

let nextConnectionId = 1

/** One connection to a peer. */
export class Connection {
  readonly id: number = nextConnectionId++
  readonly role: 'client' | 'server'
  /** Where the peer is: the URL dialled, or the remote address of an accepted socket. Safe to log. */
  readonly remoteAddress: string
  /** The remote IP address of an accepted socket (per-address limits); '' for a dialled one. */
  remoteHost = ''
  state: ConnectionState = 'handshaking'
  peer: PeerIdentity | undefined
  /** The connection came up once (so a close is a drop, not a failed handshake). */
  wasUp = false
  /** The peer closed the connection (rather than this node). */
  closedByPeer = false
  /** The peer sent `leaving`: its departure is graceful. */
  leaving = false
  closeCode = 0
  closeReason = ''
  messagesIn = 0
  bytesIn = 0
  /** The nodedown reason to report when this node chose to close it (`'disconnect'`). */
  downReason: string | undefined
  /** The last socket error (connection refused, TLS failure…), for the connect() rejection. */
  lastError: Error | undefined
  /** The name this node dialled (client side). */
  readonly dialledName: string | undefined
  /** When the socket was accepted or dialled, on the host's clock (eviction picks the oldest). */
  readonly openedAt: number
  /** Called once the peer has proven the cookie (the pre-authentication byte limit is lifted then). */
  onAuthenticated: (() => void) | undefined = undefined
  /** What reads the socket when it reads large frames in place (`readInPlace`), for its counter. */
  inPlaceReader: { readonly framesReadInPlace: number } | undefined = undefined
  readonly #host: ConnectionHost
  readonly #socket: WireSocket
  readonly #codec: MessageCodec = createMessageCodec()
  readonly #reassembler: Reassembler
  readonly #attachments: AttachmentReceiver
  /** The socket under the WebSocket, once known (`setStream`): flushes cork it. */
  #stream: CorkableStream | undefined
  #client: ClientHandshake | undefined
  #server: ServerHandshake | undefined
  #deadline: TimerHandle | undefined
  #ticker: Ticker | undefined
  #batcher: FrameBatcher | undefined
  /** The proven peer's name once up: the `fromNode` of everything it delivers. */
  #from = ''
  #log: Logger
  readonly #onValueBound = (value: unknown, bytes: number): void => {
    // Attached messages' heads end their frame: anything else after them would overtake those messages.
    if (this.#attachments.awaiting && !(Array.isArray(value) && value[0] === ATTACHED_CODE)) {
      throw new ProtocolError(CLOSE_CODES.unknownControl, "an entry other than an attached head followed an attached message's head in its frame")
    }
    this.#valueBytes = bytes
    this.#onValue(value)
  }
  /** What the value being handled weighed on the wire: its entry, or its share of a batch entry (flow control). */
  #valueBytes = 0
  /** Pressures this connection is not read for: until each resolves (receiving-side flow control). */
  readonly #holds = new Set<Promise<void>>()
  /** Times this connection stopped reading because an actor it feeds fell behind. */
  readPauses = 0
  /** Where the peer session's frames go once this connection is up. */
  readonly sink: FrameSink

  constructor(host: ConnectionHost, socket: WireSocket, role: 'client' | 'server', remoteAddress: string, expectedName?: string) {
    this.#host = host
    this.#socket = socket
    this.role = role
    this.remoteAddress = remoteAddress
    this.dialledName = expectedName
    this.openedAt = host.clock.now()
    this.#reassembler = new Reassembler(host.maxMessageBytes)
    this.#attachments = new AttachmentReceiver(host.maxMessageBytes)
    this.#log = host.logger.child({ conn: this.id })
    this.sink = {
      write: (frame, onWritten, tails) => {
        this.#ticker?.markSent()
        if (tails === undefined) {
          socket.send(frame, onWritten)
        } else {
          // The frame ends in a fragment's or an attached message's head; the chunk or the attachments are the next
          // WebSocket messages, raw.
          socket.send(frame)
          const last = tails.length - 1
          for (let i = 0; i < last; i++) socket.send(tails[i] as Uint8Array)
          socket.send(tails[last] as Uint8Array, onWritten)
        }
      },
      get bufferedAmount(): number {
        return socket.bufferedAmount
      },
      cork: () => this.#stream?.cork(),
      uncork: () => this.#stream?.uncork(),
    }
    if (role === 'client') this.#client = new ClientHandshake(host.local, expectedName)
    else this.#server = new ServerHandshake(host.local)
    // An accepted socket must say hello soon: an idle one would otherwise hold a pending-handshake slot for the whole
    // handshake timeout (node-connections.ts evicts idle ones first when the slots run out).
    const helloMs = role === 'server' ? Math.min(host.helloTimeoutMs, host.handshakeTimeoutMs) : host.handshakeTimeoutMs
    this.#deadline = host.clock.setTimeout(() => this.#handshakeDeadline(helloMs), helloMs)
  }

  /** Gives the socket under the WebSocket, so that each flush's writes reach the kernel together. */
  setStream(stream: CorkableStream): void {
    this.#stream = stream
  }

  /** True once an accepted socket sent a hello (a dialled one: always). */
  get saidHello(): boolean {
    return this.#server === undefined || this.#server.claimedPeer !== undefined
  }

  #handshakeDeadline(elapsedMs: number): void {
    this.#deadline = undefined
    if (!this.saidHello) {
      this.fail(new ProtocolError(CLOSE_CODES.handshakeTimeout, `no hello within ${elapsedMs} ms`))
      return
    }
    const leftMs = this.#host.handshakeTimeoutMs - elapsedMs
    if (leftMs > 0) {
      this.#deadline = this.#host.clock.setTimeout(() => this.#handshakeDeadline(this.#host.handshakeTimeoutMs), leftMs)
      return
    }
    this.fail(new ProtocolError(CLOSE_CODES.handshakeTimeout, `handshake not finished within ${this.#host.handshakeTimeoutMs} ms`))
  }

  /** The peer's name once known (claimed in the handshake, proven once up). */
  get peerName(): string | undefined {
    return this.peer?.name ?? this.#server?.claimedPeer?.name ?? this.dialledName
  }

  /** Client side: the socket is open, say hello. */
  start(): void {
    if (this.state !== 'handshaking' || this.#client === undefined) return
    this.#sendHandshake(this.#client.hello())
  }

  /** Starts carrying the peer session's outgoing queue and the liveness ticks. */
  attach(batcher: FrameBatcher): void {
    this.#batcher = batcher
    const tick = this.#codec.encode(toWire(TICK_CONTROL))
    const peerTickMs = this.peer?.tickMs
    if (peerTickMs !== undefined && peerTickMs !== this.#host.tickMs) this.#host.tickDiffers?.(this, peerTickMs)
    this.#ticker = new Ticker({
      clock: this.#host.clock,
      tickMs: agreedTickMs(this.#host.tickMs, peerTickMs),
      onTick: () => batcher.enqueueUrgent(tick),
      onSilent: (silentMs) => this.fail(new ProtocolError(CLOSE_CODES.tickTimeout, `peer silent for ${silentMs} ms`)),
    })
    batcher.attach(this.sink)
  }

  /** Encodes and queues a transport control (peers, leaving) ahead of any stream. */
  sendControl(control: WireControl): void {
    this.#batcher?.enqueueUrgent(this.#codec.encode(toWire(control)))
  }

  /** A WebSocket message arrived. Never throws. */
  receive(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closed') return
    try {
      if (!isBinary) throw new ProtocolError(CLOSE_CODES.textFrame, 'text frame received; the protocol is binary only')
      if (this.state === 'up') {
        this.bytesIn += data.length
        this.#ticker?.markReceived()
        if (this.#attachments.awaiting) this.#onAttachment(data)
        else if (this.#reassembler.awaitingChunk) this.#onChunk(data)
        else readFrame(data, this.#codec, this.#host.maxMessageBytes, this.#onValueBound)
      } else {
        this.#handshakeStep(decodeHandshake(data))
      }
    } catch (error) {
      this.fail(error)
    }
  }

  #handshakeStep(message: unknown): void {
    const type = (message as { type?: unknown } | null)?.type
    if (this.#server !== undefined) {
      if (type === 'hello') {
        this.#sendHandshake(this.#server.hello(message))
        return
      }
      const peer = this.#server.response(message)
      if (this.#admit(peer)) {
        this.#sendHandshake(this.#server.accept())
        this.#becomeUp(peer)
      }
      return
    }
    const client = this.#client as ClientHandshake
    if (type === 'challenge') {
      this.#sendHandshake(client.challenge(message))
      return
    }
    const peer = client.accept(message)
    if (this.#admit(peer)) this.#becomeUp(peer)
  }

  #admit(peer: PeerIdentity): boolean {
    this.peer = peer
    const refusal = this.#host.admit(this, peer)
    if (refusal === undefined) return true
    this.close(refusal, refusal === CLOSE_CODES.duplicate ? 'a connection between these nodes already exists' : closeCodeName(refusal))
    return false
  }

  #becomeUp(peer: PeerIdentity): void {
    this.#clearDeadline()
    this.state = 'up'
    this.wasUp = true
    this.#from = peer.name
    this.onAuthenticated?.()
    this.onAuthenticated = undefined
    this.#log = this.#host.logger.child({ peer: peer.name, conn: this.id })
    this.#host.up(this)
  }

  #sendHandshake(message: object): void {
    this.#socket.send(encodeHandshake(message))
  }

  /** This node's and the proven peer's names, once up (compact sends need them); built once per connection. */
  #wireNames: WireNames | undefined = undefined
  #names(): WireNames | undefined {
    if (this.#wireNames === undefined && this.peer !== undefined) this.#wireNames = { local: this.#host.local.name, peer: this.peer.name }
    return this.#wireNames
  }

  /** A batch entry: small sends packed together in runs, and small controls between them (send-batch.ts). */
  #onBatch(values: unknown): void {
    if (Array.isArray(values) && values.length > 0) this.#valueBytes /= values.length
    readSendBatch(
      values,
      this.#names(),
      (to, _from, msgs, start, end) => {
        this.messagesIn += end - start
        const pressure = this.#host.endpoint.deliverSends(to, msgs, start, end, this.#valueBytes * (end - start))
        if (pressure !== undefined) this.#hold(pressure)
      },
      this.#onBatchedControlBound,
      this.#onMarkedBound,
    )
  }

  /** A call or a reply in a batch (send-batch.ts marks), its fields from `at + 1`: handed on as they are. */
  readonly #onMarkedBound = (values: readonly unknown[], at: number): void => {
    if (values[at] === CALL_MARK) this.#onCall(values, at)
    else this.#onReply(values, at)
  }

  #onCall(m: readonly unknown[], at: number): void {
    checkCall(m, at)
    this.messagesIn++
    const pressure = this.#host.endpoint.deliverCall(this.#from, m[at + 1] as number | string, m[at + 2] as number | null, m[at + 3] as number, m[at + 4] as number, m[at + 5] as number, m[at + 6], this.#valueBytes)
    if (pressure !== undefined) this.#hold(pressure)
  }

  #onReply(m: readonly unknown[], at: number): void {
    checkReply(m, at)
    this.messagesIn++
    this.#batcher?.callEnded(m[at + 2] as number)
    this.#host.endpoint.deliverReply(m[at + 1] as number, m[at + 2] as number, m[at + 3] as number, m[at + 5], m[at + 4] as boolean)
  }

  readonly #onBatchedControlBound = (value: unknown[]): void => {
    // A batch inside a batch, or a fragment, would let one entry stand for unbounded work: neither is ever sent so.
    const code = value[0]
    if (code === CONTROL_CODES.batch || code === CONTROL_CODES.fragment || code === ATTACHED_CODE) {
      throw new ProtocolError(CLOSE_CODES.unknownControl, `a batch cannot carry control code ${String(code)}`)
    }
    this.#onControl(value)
  }

  #onValue(value: unknown): void {
    if (Array.isArray(value) && value[0] === CONTROL_CODES.batch) {
      this.#onBatch(value[1])
      return
    }
    if (Array.isArray(value) && value[0] === ATTACHED_CODE && this.state === 'up') {
      if (this.#reassembler.awaitingChunk) throw new ProtocolError(CLOSE_CODES.unknownControl, "an attached message's head arrived before a fragment's chunk")
      this.#attachments.head(value)
      return
    }
    this.#onControl(value)
  }

  #onControl(value: unknown): void {
    // Calls and replies, the commonest controls, go on as their fields: no control object, no pid for the callee.
    if (Array.isArray(value) && this.state === 'up') {
      if (value[0] === CONTROL_CODES.reply) {
        this.#onReply(value, 0)
        return
      }
      if (value[0] === CONTROL_CODES.call) {
        this.#onCall(value, 0)
        return
      }
    }
    const control = validateControl(value, this.#names())
    this.messagesIn++
    switch (control.type) {
      case 'tick':
        return
      case 'fragment':
        this.#reassembler.head(control)
        return
      case 'peers':
        this.#host.peers(this, control.peers)
        return
      case 'leaving':
        this.leaving = true
        return
      default: {
        // A down may end one of this node's calls (its callee exited): the batcher counts the calls the peer owes.
        if (control.type === 'down') this.#batcher?.callEnded(control.ref.id)
        const pressure = this.#host.endpoint.deliver(this.#from, control, this.#valueBytes)
        if (pressure !== undefined) this.#hold(pressure)
      }
    }
  }

  /** True while this connection is not read because an actor it feeds fell behind. */
  get readPaused(): boolean {
    return this.#holds.size > 0
  }

  /**
   * Stops reading this connection until `pressure` resolves: an actor it feeds is over its mailbox pressure mark.
   * TCP then fills and the peer's sends to this node become busy, pausing its senders; other connections, and this
   * node's own writes and ticks on this one, go on. The peer's silence is not counted meanwhile: we chose not to read.
   */
  #hold(pressure: Promise<void>): void {
    if (this.#holds.has(pressure)) return
    if (this.#holds.size === 0) {
      this.readPauses++
      this.#socket.pause()
      this.#ticker?.hold(true)
    }
    this.#holds.add(pressure)
    void pressure.then(() => {
      this.#holds.delete(pressure)
      if (this.#holds.size > 0 || this.state === 'closed') return
      this.#ticker?.hold(false)
      this.#socket.resume()
    })
  }

  /** The chunk a fragment's head announced; the last one completes its message, which is then delivered. */
  #onChunk(chunk: Buffer): void {
    const whole = this.#reassembler.chunk(chunk)
    if (whole === undefined) return
    const inner = validateControl(decodeEntry(this.#codec, whole), this.#names())
    if (inner.type === 'tick' || inner.type === 'peers' || inner.type === 'leaving' || inner.type === 'fragment') {
      throw new ProtocolError(CLOSE_CODES.unknownControl, `a ${inner.type} control cannot be fragmented`)
    }
    const pressure = this.#host.endpoint.deliver(this.#from, inner, whole.length)
    if (pressure !== undefined) this.#hold(pressure)
  }

  /** An attachment of the attached message whose head came last; the last one completes it, which is then delivered. */
  #onAttachment(data: Buffer): void {
    const arrived = this.#attachments.attachment(data)
    if (arrived === undefined) return
    const inner = validateControl(decodeAttachedEntry(this.#codec, arrived.encoding, arrived.attachments), this.#names())
    if (inner.type === 'tick' || inner.type === 'peers' || inner.type === 'leaving' || inner.type === 'fragment') {
      throw new ProtocolError(CLOSE_CODES.unknownControl, `a ${inner.type} control cannot carry attachments`)
    }
    this.messagesIn++
    const pressure = this.#host.endpoint.deliver(this.#from, inner, arrived.bytes)
    if (pressure !== undefined) this.#hold(pressure)
  }

  /** Closes for a protocol violation (or any unexpected error), logging the reason. Never throws. */
  fail(error: unknown): void {
    if (this.state === 'closed') return
    const code = error instanceof ProtocolError ? error.closeCode : CLOSE_CODES.malformed
    const reason = error instanceof Error ? error.message : String(error)
    // Until the handshake is done the claimed name is unproven: name the address the bytes came from.
    const fields = { peer: this.state === 'up' ? this.peerName : this.remoteAddress, conn: this.id, closeCode: code, reason }
    // The node logs a failed handshake once per peer and reason, with the fix (handshake-failures.ts).
    if (code === CLOSE_CODES.handshakeFailed) this.#host.logger.debug(fields, 'handshake failed: cookie not proven')
    else if (code === CLOSE_CODES.tickTimeout) this.#host.logger.warn(fields, 'peer silent for tickMs')
    else if (code === CLOSE_CODES.handshakeTimeout) {
      // A dial that times out is a slow or unreachable peer, not bad input; an accepted socket that never finishes is
      // routine noise from scanners and probes.
      if (this.role === 'client') this.#host.logger.warn(fields, 'handshake timed out')
      else this.#host.logger.debug(fields, 'handshake timed out')
    } else this.#host.logger.warn(fields, 'connection closed for bad input')
    this.close(code, reason)
  }

  /** Closes with `code`, once; the node hears about it through `closed`. */
  close(code: number, reason: string): void {
    if (this.state === 'closed') return
    const authenticated = this.state !== 'handshaking'
    this.#batcher?.flushNow()
    this.#finish(code, reason)
    try {
      this.#socket.close(code, truncateReason(reason))
    } catch {
      this.#socket.terminate()
      return
    }
    const socket = this.#socket
    if (!authenticated && this.#stream !== undefined) destroyOnceWritten(this.#stream)
    this.#host.clock.setTimeout(() => socket.terminate(), authenticated ? CLOSE_GRACE_MS : UNAUTHENTICATED_CLOSE_GRACE_MS)
  }

  /** The socket closed (the peer closed it, or it broke). */
  socketClosed(code: number, reason: string): void {
    if (this.state === 'closed') return
    this.closedByPeer = true
    if (this.state === 'handshaking' && code === CLOSE_CODES.handshakeFailed) {
      this.#host.logger.debug({ peer: this.remoteAddress, conn: this.id, closeCode: code, reason }, 'handshake failed: peer refused our cookie proof')
    }
    this.#finish(code, reason)
  }

  #finish(code: number, reason: string): void {
    this.state = 'closed'
    this.closeCode = code
    this.closeReason = reason
    this.#clearDeadline()
    this.#ticker?.stop()
    this.#log.debug({ closeCode: code, reason }, 'connection closed')
    this.#host.closed(this, code, reason)
  }

  #clearDeadline(): void {
    if (this.#deadline !== undefined) this.#host.clock.clearTimeout(this.#deadline)
    this.#deadline = undefined
  }
}

/** Close reasons are limited to 123 bytes (RFC 6455); keep them well under. */
function truncateReason(reason: string): string {
  return reason.length > 100 ? `${reason.slice(0, 97)}...` : reason
}
