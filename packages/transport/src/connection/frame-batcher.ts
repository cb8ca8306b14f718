/**
 * The outgoing queue of one peer session: control messages are encoded as they are sent, corked, and written as one
 * frame per event-loop turn (or as soon as `flushThresholdBytes` are queued), except that once a turn has queued
 * `EARLY_FLUSH_BYTES` with calls among them, to a peer that owes none of this node's recent calls, those leave at
 * once, so the peer starts on them while this node produces the rest. Messages larger than `fragmentBytes`
 * become streams of fragments written a few per turn, and only while the socket is not backed up, so small messages
 * and ticks overtake them. Messages from the sender of a stream wait behind it, which keeps order per pair of actors.
 * A message whose bulk is Buffers of 16 KiB and more, adding up to what one flush of a stream writes, travels whole
 * instead, its Buffers beside its frame as attachments (attachments.ts), so that neither side copies them.
 *
 * Hot path: `enqueue` (one encode, one array push, no other allocation) and `#flush` (one frame per turn).
 */
import { Buffer } from 'node:buffer'
import { Pid } from '@cohort/core'
import type { Clock, MessageCodec, Ref } from '@cohort/core'
import { fragmentHeader, nextFragment, totalLength } from '../wire/fragmenter.ts'
import type { OutgoingStream } from '../wire/fragmenter.ts'
import { assertCompactCall, isCompactReply, toWire } from '../wire/control-validation.ts'
import type { WireNames } from '../wire/control-validation.ts'
import { SendBatch } from '../wire/send-batch.ts'
import { sizeBound } from '../wire/size-bound.ts'
import type { WireControl } from '../wire/transport-control.ts'
import { sharedFramePool } from '../wire/frame-pool.ts'
import type { FramePool } from '../wire/frame-pool.ts'
import { AttachedEntry, ATTACH_MIN_BYTES, attachedEntry, MAX_ATTACHMENTS } from '../wire/attachments.ts'
import { EntryParts, frameBytesOf, writeFrame } from '../wire/wire-codec.ts'
import type { FrameEntry } from '../wire/wire-codec.ts'

/** Where frames go: the socket of the connection the session runs over. */
export interface FrameSink {
  /**
   * Writes one frame; calls `onWritten` once it (and its tails) have left for the kernel. `tails` are sent raw, each
   * as a WebSocket message of its own, right after the frame: a fragment's chunk (a view of the large message), or an
   * attached message's attachments (the sender's Buffers); never copied into the frame.
   */
  write(frame: Buffer, onWritten: () => void, tails?: readonly Uint8Array[]): void
  /**
   * Holds the socket's writes from here to `uncork` and then hands them to the kernel together (one `writev`): a flush
   * that writes a frame and its attachments, or several frames, makes one system call, not one per message.
   */
  cork?(): void
  uncork?(): void
  /** Bytes accepted by `write` and not yet handed to the kernel. */
  readonly bufferedAmount: number
}

export interface FrameBatcherOptions {
  readonly codec: MessageCodec
  readonly clock: Clock
  readonly fragmentBytes: number
  readonly flushThresholdBytes: number
  /** This node's and the peer's names, for the compact form of sends between them. */
  readonly names?: WireNames
  /**
   * Small sends whose size is bounded are queued unencoded and packed together (one msgpack call per batch, the
   * fixed cost of a call being most of a small message's); a batch is sealed at this many bytes. 0 turns batching
   * off. @default 0
   */
  readonly batchBytes?: number
  /** Called after frames were written or left the socket buffer, so drain waiters can be woken. */
  readonly onProgress: () => void
  /**
   * A batched message could not be encoded when its batch was written (it was changed after it was sent) and was
   * dropped; `fromId` is its sender's pid id on this node (null outside actors). @default ignore
   */
  readonly onDropped?: (fromId: number | null, error: Error) => void
}

/**
 * The control messages that travel inside a batch (send-batch.ts), in their place among the sends: calls and their
 * replies, monitors and demonitors, links, exits and downs. Sends have their own compact runs; the transport's own
 * controls (tick, peers, leaving) and fragments are never batched.
 */
const BATCHED_CONTROLS: ReadonlySet<WireControl['type']> = new Set(['link', 'unlink', 'exit', 'monitor', 'demonitor', 'down', 'call', 'reply'])

/** Room in a pooled frame beyond its entries' bytes: their length prefixes and a fragment's head. */
const FRAME_SLACK_BYTES = 4096

/** A flush writes at least this many fragments of a stream (more when flushThresholdBytes holds more). */
const STREAM_FLUSH_FRAGMENTS = 4

/** Streams are only fed while the socket holds less than this many fragments, so small messages wait little. */
const STREAM_SOCKET_FRAGMENTS = 2
/**
 * A turn's first frame is written as soon as this many bytes are queued, if calls are among them and the peer owes
 * none of the calls this node sent in its last few turns (`#owed`). With calls in flight, a node that sent a turn's
 * requests in one frame at the turn's end left its peer idle meanwhile, and the two sides worked in lockstep (the
 * calls' throughput at 100 in flight was 0.6 of bare ws, each process half idle). One early frame lets them overlap.
 * Only when the peer is idle: with calls of earlier turns still unanswered it has work, and a frame more is a write
 * and a wake-up more on each side. Early frames on every turn (and for replies too) cut each round of calls into ever
 * smaller frames (a third of a round each, at 100 in flight) that circulated for good: on a 2-vCPU host, where a
 * write and the wake-up it causes cost 20-30 µs, the callee then spent 14 % more CPU a call, and throughput fell
 * 8-10 % (bench/RESULTS.md, change 80). Only calls: one-way sends gain nothing from it and paid a write more per
 * turn; a callee's replies leave at the end of its turn, and the caller's own split keeps both sides busy. Only one
 * early frame per turn, so a node streaming small messages still writes few, large frames.
 */
const EARLY_FLUSH_BYTES = 4096
/** Turns whose calls count as owed by the peer (`#owed`): the current one and the three before it. */
const OWED_TURNS = 4

/** The outgoing queue of one peer. */
export class FrameBatcher {
  readonly #o: FrameBatcherOptions
  #sink: FrameSink | undefined
  #small: FrameEntry[] = []
  #smallBytes = 0
  /** Small sends not encoded yet: sealed into one entry before anything else is queued behind them. */
  readonly #batch = new SendBatch()
  /** Large messages in order: streams of fragments, and attached messages too large to join the small ones. */
  #streams: (OutgoingStream | WholeAttached)[] = []
  #streamBytes = 0
  /** Sender key → messages (in parts, or attached) from that sender queued behind its stream. */
  #blocked = new Map<string, (readonly Uint8Array[] | AttachedEntry)[]>()
  #blockedBytes = 0
  #nextStreamId = 0
  /** Attached messages in `#small`: each ends its frame, so no fragment head may join theirs. */
  #attachedQueued = 0
  #scheduled = false
  /** True once this turn's early frame was written (EARLY_FLUSH_BYTES); the turn's flush clears it. */
  #earlyWritten = false
  /**
   * Calls sent to the peer whose end this session has not seen yet (a reply or a down received, a demonitor sent), by
   * the turn they were queued in: `#owed[#turn]` this turn's, the others those of the few turns before it, each with
   * the ref id of its first call (`#firstRef`). Ref ids grow, so a call's end is counted in the newest turn whose
   * first ref is not above the call's. Calls older than `OWED_TURNS` turns are forgotten, so one call its callee
   * holds for long (a reply deferred for minutes) does not stop early frames for good. A down or demonitor of an
   * ordinary monitor can end a call that had not ended, and then an early frame leaves where none was needed. This
   * only decides early frames.
   */
  readonly #owed = new Int32Array(OWED_TURNS)
  readonly #firstRef = new Float64Array(OWED_TURNS).fill(Infinity)
  #turn = 0
  #flushing = false
  #closed = false
  /** Frames and bytes handed to the socket. */
  framesOut = 0
  bytesOut = 0
  /** Transport controls (ticks, peer lists, leaving) queued by `enqueueUrgent`. */
  controlsOut = 0
  /** The sink's bufferedAmount as of the last write or write callback: between them it can only have fallen, so this
   * errs on the busy side, and reading it per send (through ws to the socket's state) cost 7% of a small send. */
  #sinkBuffered = 0
  /** Size at which a batch is sealed; 0: no batching. */
  readonly #batchLimit: number
  readonly #batchMessageLimit: number
  /** Where large frames come from, and go back to once written (frame-pool.ts). */
  readonly #pool: FramePool
  /**
   * One item per write to the current sink not yet called back, oldest first: the frame when it is pooled memory,
   * else null. Writes to one socket complete in order, so each callback releases the oldest. Each sink gets a list
   * and a callback of its own (`attach`): a late callback from the socket of a connection that went away releases
   * that socket's frames, never the next connection's.
   */
  #inFlight: (Buffer | null)[] = []
  #writtenBound: () => void = () => undefined
  /** The turn's flush, scheduled once per turn (`#schedule`); earlier flushes (threshold, early frame) leave it due. */
  readonly #flushBound = (): void => {
    this.#scheduled = false
    this.#earlyWritten = false
    this.#turn = (this.#turn + 1) % OWED_TURNS
    this.#owed[this.#turn] = 0
    this.#firstRef[this.#turn] = Infinity
    this.#flush()
  }

  constructor(options: FrameBatcherOptions) {
    this.#o = options
    this.#batchLimit = options.batchBytes ?? 0
    this.#batchMessageLimit = Math.floor(this.#batchLimit / 4)
    // The largest frame: a flush's worth of entries, or a first entry of up to a fragment, plus a fragment's head.
    this.#pool = sharedFramePool(Math.max(options.flushThresholdBytes, options.fragmentBytes) + FRAME_SLACK_BYTES)
  }

  /** Bytes queued here and not yet written to the socket. */
  get queuedBytes(): number {
    return this.#smallBytes + this.#batch.bytes + this.#streamBytes + this.#blockedBytes
  }

  /** Bytes not yet handed to the kernel: this queue plus the socket's buffer. */
  get unsentBytes(): number {
    return this.queuedBytes + this.#sinkBuffered
  }

  /** Starts writing to `sink` (the session's connection is up). */
  attach(sink: FrameSink): void {
    this.#sink = sink
    const inFlight: (Buffer | null)[] = []
    this.#inFlight = inFlight
    this.#writtenBound = (): void => this.#written(inFlight)
    this.#sinkBuffered = sink.bufferedAmount
    if (this.queuedBytes > 0) this.#schedule()
  }

  /** Drops everything queued; later enqueues are ignored. */
  close(): void {
    this.#closed = true
    this.#sink = undefined
    this.#sinkBuffered = 0
    this.#small = []
    this.#attachedQueued = 0
    this.#batch.clear()
    this.#streams = []
    this.#blocked.clear()
    this.#smallBytes = this.#streamBytes = this.#blockedBytes = 0
  }

  /** Encodes a control message (in its positional wire form) with this session's encoder. */
  encode(control: WireControl, sizeHint?: number): Uint8Array {
    return this.#o.codec.encode(toWire(control, this.#o.names), sizeHint)
  }

  /**
   * Encodes a control message in parts (core's `encodeParts`): a Buffer in it large enough to fill a quarter of a
   * fragment stays a part of its own, and is never copied into the encoding (for `enqueueParts`).
   */
  encodeParts(control: WireControl, sizeHint?: number): Uint8Array[] {
    return this.#o.codec.encodeParts(toWire(control, this.#o.names), this.spliceBytes, sizeHint)
  }

  /**
   * Encodes a control message with its Buffers of 16 KiB and more left out as attachments (attachments.ts), when that
   * is how it can travel: the attached entry, the plain encoding when it holds no such Buffer, or undefined when it
   * must be encoded in parts and may stream (`encodeParts`): the rest of it is over a fragment, or its Buffers add up
   * to more than one flush of a stream writes (`#flushFragments` fragments: 1 MiB at the defaults).
   */
  encodeAttached(control: WireControl, sizeHint?: number): Uint8Array | AttachedEntry | undefined {
    if (this.#closed) return undefined
    // Attachments are written whole, in one flush, so they may weigh what one flush of a stream writes, and a single
    // Buffer all of it (those over a fragment wait for the socket as a stream does: enqueueAttached). Fragmented, a
    // 1 MiB Buffer was copied twice on the receiver (ws's read of each fragment, then the reassembly) and ran at
    // 0.6-0.7 of bare ws; attached, ws's read is its only copy.
    const attachBytes = this.#flushFragments * this.#o.fragmentBytes
    const encoded = this.#o.codec.encodeAttached(toWire(control, this.#o.names), ATTACH_MIN_BYTES, attachBytes, sizeHint)
    if (encoded === undefined) return undefined
    const { bytes, attachments } = encoded
    if (attachments.length === 0) return bytes
    if (bytes.length > this.#o.fragmentBytes || attachments.length > MAX_ATTACHMENTS) return undefined
    const entry = attachedEntry(bytes, attachments)
    return entry.attachedBytes > attachBytes ? undefined : entry
  }

  /** Fragments of a stream one flush writes: at least four, more when flushThresholdBytes holds more. */
  get #flushFragments(): number {
    return Math.max(STREAM_FLUSH_FRAGMENTS, Math.floor(this.#o.flushThresholdBytes / this.#o.fragmentBytes))
  }

  /**
   * Queues an attached message (`encodeAttached`), ordered as `enqueueEncoded` orders: behind its sender's stream,
   * if one is in progress. One whose attachments weigh more than a fragment is queued like a stream, written whole
   * once the socket holds less than two fragments, so other senders' small messages overtake it as they overtake a
   * stream; joining the small ones, it held them behind every such message queued before them.
   */
  enqueueAttached(entry: AttachedEntry, sender?: unknown): void {
    if (this.#closed) return
    this.#seal()
    const whole = entry.attachedBytes > this.#o.fragmentBytes
    if (this.#streams.length === 0 && !whole) {
      this.#pushAttached(entry)
      return
    }
    const key = senderKey(sender)
    const blocked = this.#blocked.get(key)
    if (blocked !== undefined) {
      blocked.push(entry)
      this.#blockedBytes += entry.length
      return
    }
    if (!whole) {
      this.#pushAttached(entry)
      return
    }
    this.#streams.push({ entry, key })
    this.#streamBytes += entry.length
    this.#blocked.set(key, [])
    this.#schedule()
  }

  #pushAttached(entry: AttachedEntry): void {
    this.#attachedQueued++
    this.#pushSmall(entry)
  }

  /** Buffers of at least this size stay parts of their own in `encodeParts` (core raises it to 64 KiB at least). */
  get spliceBytes(): number {
    return Math.max(this.#o.fragmentBytes / 4, 0x10000)
  }

  /** True when a small send may be batched: batching is on and no large message is streaming (order behind a stream
   * is kept per entry). */
  get canBatch(): boolean {
    return this.#batchLimit > 0 && this.#streams.length === 0 && !this.#closed
  }

  /** The most a single batched message may weigh (its size bound): a quarter of a batch. */
  get batchMessageBytes(): number {
    return this.#batchMessageLimit
  }

  /**
   * Queues a small send from an actor of this node (or from outside any actor) to an actor of the peer, unencoded;
   * `msgBytes` is an upper bound of the message's encoded size (see size-bound.ts).
   */
  enqueueBatched(to: Pid, from: Pid | undefined, msg: unknown, msgBytes: number): void {
    if (this.#closed) return
    this.#batch.add(to, from, msg, msgBytes)
    if (this.#batch.bytes >= this.#batchLimit) this.#seal()
    else this.#schedule()
  }

  /**
   * Queues a small control message of a kind that may travel in the batch (BATCHED_CONTROLS), unencoded, and returns
   * true; false when it must be encoded on its own (batching off or paused behind a stream, another kind, or no quick
   * bound on its size: a large or unusual exit reason, say).
   */
  enqueueBatchedControl(control: WireControl): boolean {
    if (control.type === 'call') return this.enqueueCall(control.to, control.port, control.ref, control.request)
    if (!this.canBatch || !BATCHED_CONTROLS.has(control.type)) return false
    const names = this.#o.names
    if (control.type === 'reply' && isCompactReply(control, names)) {
      const bound = sizeBound(control.value, this.#batchMessageLimit)
      if (bound < 0) return false
      this.#batch.addReply(control.to.id, control.ref.id, control.to.creation, control.released, control.value, bound)
    } else {
      const wire = toWire(control, names)
      const bound = sizeBound(wire, this.#batchMessageLimit)
      if (bound < 0) return false
      this.#batch.addControl(wire, bound)
    }
    if (control.type === 'demonitor') this.callEnded(control.ref.id)
    if (this.#batch.bytes >= this.#batchLimit) this.#seal()
    else this.#schedule()
    return true
  }

  /**
   * Queues the call `ref` from `port` to `to` in the batch and returns true, as `enqueueBatchedControl` does a call
   * control message (without one: websocket-node.ts `sendCall`); false when it must be encoded on its own.
   */
  enqueueCall(to: Pid | string, port: Pid, ref: Ref, request: unknown): boolean {
    if (!this.canBatch) return false
    // Its fields go into the batch as they are (send-batch.ts CALL_MARK): no array per call on either side.
    assertCompactCall(to, port, ref, this.#o.names)
    const bound = sizeBound(request, this.#batchMessageLimit)
    if (bound < 0) return false
    if (to instanceof Pid) this.#batch.addCall(to.id, to.creation, port.id, ref.id, port.creation, request, bound)
    else this.#batch.addCall(to, null, port.id, ref.id, port.creation, request, bound)
    this.#owe(ref.id)
    if (this.#batch.bytes >= this.#batchLimit) this.#seal()
    else if (this.#owedBefore() === 0) this.#awaited()
    else this.#schedule()
    return true
  }

  /** The call of ref `refId` to the peer ended, as far as this session can tell: a reply or a down arrived, or a
   * demonitor left. */
  callEnded(refId: number): void {
    for (let i = 0; i < OWED_TURNS; i++) {
      const at = (this.#turn + OWED_TURNS - i) % OWED_TURNS
      if (this.#firstRef[at]! <= refId) {
        if (this.#owed[at]! > 0) this.#owed[at]!--
        return
      }
    }
  }

  #owe(refId: number): void {
    const turn = this.#turn
    if (this.#firstRef[turn] === Infinity) this.#firstRef[turn] = refId
    this.#owed[turn]!++
  }

  /** Calls of the turns before this one the peer has not answered yet: while there are, it has work. */
  #owedBefore(): number {
    let owed = 0
    for (let i = 1; i < OWED_TURNS; i++) owed += this.#owed[(this.#turn + i) % OWED_TURNS]!
    return owed
  }

  /** Encodes the batch into one entry, queued after everything before it; a message changed since its send is dropped. */
  #seal(): void {
    if (this.#batch.isEmpty) return
    const entry = this.#batch.encodeChecked(this.#o.codec, this.#batchMessageLimit, this.#onDroppedBound)
    if (entry !== undefined) this.#pushSmall(entry)
  }

  readonly #onDroppedBound = (fromId: number | null, error: Error): void => this.#o.onDropped?.(fromId, error)

  /**
   * Queues an encoded control message. `sender` (the message's `from`) orders it behind that sender's stream; its
   * key is only computed while a stream is in progress, so the fast path builds nothing.
   */
  enqueueEncoded(bytes: Uint8Array, sender: unknown): void {
    if (this.#closed) return
    this.#seal()
    if (this.#streams.length === 0 && bytes.length <= this.#o.fragmentBytes) {
      this.#pushSmall(bytes)
      return
    }
    this.#enqueueLarge([bytes], bytes.length, sender)
  }

  /** Queues a control message encoded in parts (`encodeParts`), ordered as `enqueueEncoded` orders. */
  enqueueParts(parts: readonly Uint8Array[], sender: unknown): void {
    if (parts.length === 1) {
      this.enqueueEncoded(parts[0] as Uint8Array, sender)
      return
    }
    if (this.#closed) return
    this.#seal()
    this.#enqueueLarge(parts, totalLength(parts), sender)
  }

  /** Queues a message behind its sender's stream, or small, or as a stream of its own. */
  #enqueueLarge(parts: readonly Uint8Array[], total: number, sender: unknown): void {
    const key = senderKey(sender)
    const blocked = this.#blocked.get(key)
    if (blocked !== undefined) {
      blocked.push(parts)
      this.#blockedBytes += total
      return
    }
    if (total <= this.#o.fragmentBytes) {
      // A small message, or one whose parts turned out small: one entry like any other, its parts copied straight
      // into the frame (joining them first copied a 64 KiB message twice on its way to the socket).
      this.#pushSmall(parts.length === 1 ? (parts[0] as Uint8Array) : new EntryParts(parts, total))
      return
    }
    this.#streams.push({ id: this.#nextStreamId, parts, total, part: 0, offset: 0, key })
    this.#nextStreamId = (this.#nextStreamId + 1) >>> 0
    this.#streamBytes += total
    this.#blocked.set(key, [])
    this.#schedule()
  }

  /** Queues a transport control (tick, peers, leaving): never held behind a stream. */
  enqueueUrgent(bytes: Uint8Array): void {
    if (this.#closed) return
    // Counted like the peer counts them on arrival (messagesIn), so messages and bytes out agree in stats.
    this.controlsOut++
    this.#seal()
    this.#pushSmall(bytes)
  }

  /**
   * Writes everything that can be written now: before a close, and when a caller asks for its messages to leave in
   * its own turn (`Distribution.flush`). The turn's own flush stays scheduled and writes whatever comes after.
   */
  flushNow(): void {
    if (this.#sink !== undefined && !this.#flushing) this.#flush()
  }

  #pushSmall(bytes: FrameEntry): void {
    this.#small.push(bytes)
    this.#smallBytes += bytes.length
    if (this.#smallBytes >= this.#o.flushThresholdBytes && this.#sink !== undefined && !this.#flushing) this.#flush()
    else this.#schedule()
  }

  /** After a call was queued to an idle peer: writes the turn's early frame if it is due; a flush still ends the turn. */
  #awaited(): void {
    if (!this.#earlyWritten && this.#smallBytes + this.#batch.bytes >= EARLY_FLUSH_BYTES && this.#sink !== undefined && !this.#flushing) {
      this.#earlyWritten = true
      this.#flush()
    }
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled || this.#sink === undefined) return
    this.#scheduled = true
    this.#o.clock.setImmediate(this.#flushBound)
  }

  #streamGateOpen(sink: FrameSink): boolean {
    return this.#streams.length > 0 && sink.bufferedAmount < STREAM_SOCKET_FRAGMENTS * this.#o.fragmentBytes
  }

  #flush(): void {
    const sink = this.#sink
    if (sink === undefined) return
    this.#seal()
    this.#flushing = true
    sink.cork?.()
    // A few fragments per turn (at least four: a 1 MiB message per turn at the default size): enough to fill the
    // pipe, few enough that the event loop keeps turning; small messages queued meanwhile still go first.
    let fragmentBudget = this.#flushFragments
    for (;;) {
      const feed = fragmentBudget > 0 && this.#streamGateOpen(sink)
      // Attached messages end their frame (their attachments follow it): write those first, then a fragment's frame.
      if (feed && this.#smallBytes <= this.#o.flushThresholdBytes && this.#attachedQueued === 0) {
        const head = this.#streams[0] as OutgoingStream | WholeAttached
        if ('entry' in head) {
          fragmentBudget -= Math.ceil(head.entry.length / this.#o.fragmentBytes)
          this.#writeWhole(sink, head)
        } else {
          fragmentBudget--
          this.#writeFragment(sink)
        }
      } else if (this.#small.length > 0) {
        this.#writeSmall(sink)
      } else {
        break
      }
    }
    sink.uncork?.()
    this.#flushing = false
    if (this.#streams.length > 0 && this.#streamGateOpen(sink)) this.#schedule()
    this.#o.onProgress()
  }

  /**
   * Writes the small messages queued so far and the head of the next fragment of the first stream, as one frame,
   * then the fragment's chunk, a view of the large message, as the next WebSocket message (fragmenter.ts: never
   * copied here). When it is the last fragment, the sender's held-back messages are queued after it, so they arrive
   * after the whole message; a large one among them becomes that sender's next stream and holds back the rest again.
   */
  #writeFragment(sink: FrameSink): void {
    const stream = this.#streams[0] as OutgoingStream
    const fragment = nextFragment(stream, this.#o.fragmentBytes)
    const chunk = fragment.chunk
    this.#streamBytes -= chunk.length
    this.#writeEndingWith(sink, fragmentHeader(fragment), [chunk], chunk.length)
    if (stream.part < stream.parts.length) return
    this.#streamDone(stream.key)
  }

  /**
   * Writes the small messages queued so far and, last in their frame, the head of the first stream, an attached
   * message written whole (`enqueueAttached`); its attachments follow the frame.
   */
  #writeWhole(sink: FrameSink, whole: WholeAttached): void {
    const { entry } = whole
    this.#streamBytes -= entry.length
    this.#writeEndingWith(sink, entry, entry.attachments, entry.attachedBytes)
    this.#streamDone(whole.key)
  }

  /**
   * Writes the small messages queued so far and `last` as one frame, then `tails` (`tailBytes` in all), each as a
   * WebSocket message of its own: a stream's fragment head and its chunk, or a whole attached message's head and its
   * attachments.
   */
  #writeEndingWith(sink: FrameSink, last: FrameEntry, tails: readonly Uint8Array[], tailBytes: number): void {
    const small = this.#small
    small.push(last)
    const frame = writeFrame(small, small.length, this.#smallBytes + frameBytesOf(last), this.#pool)
    this.#small = []
    this.#smallBytes = 0
    this.framesOut++
    this.bytesOut += frame.length + tailBytes
    this.#inFlight.push(this.#pool.pools(frame.length) ? frame : null)
    sink.write(frame, this.#writtenBound, tails)
    this.#sinkBuffered = sink.bufferedAmount
  }

  /** The first stream is written: the messages its sender sent meanwhile are queued, in order, after it. */
  #streamDone(key: string): void {
    this.#streams.shift()
    const released = this.#blocked.get(key) ?? []
    this.#blocked.delete(key)
    for (const item of released) {
      if (item instanceof AttachedEntry) {
        this.#blockedBytes -= item.length
        this.enqueueAttached(item, key)
      } else {
        this.#blockedBytes -= totalLength(item)
        this.enqueueParts(item, key)
      }
    }
  }

  /**
   * Writes queued small messages as frames of up to flushThresholdBytes; attached messages end their frame (only other
   * attached messages may follow one in it), and their attachments follow the frame in the same order.
   */
  #writeSmall(sink: FrameSink): void {
    const small = this.#small
    const limit = this.#o.flushThresholdBytes
    let count = 0
    let bytes = 0
    let frameBytes = 0
    let tails: Uint8Array[] | undefined
    // The limit bounds the frame: attachments are not in it.
    while (count < small.length && (count === 0 || frameBytes + frameBytesOf(small[count] as FrameEntry) <= limit)) {
      const entry = small[count] as FrameEntry
      const attached = entry instanceof AttachedEntry
      if (tails !== undefined && !attached) break
      bytes += entry.length
      frameBytes += frameBytesOf(entry)
      count++
      if (attached) {
        tails ??= []
        for (const a of entry.attachments) tails.push(a)
        this.#attachedQueued--
      }
    }
    if (count === 0) return
    const frame = writeFrame(small, count, frameBytes, this.#pool)
    if (count === small.length) this.#small = []
    else this.#small = small.slice(count)
    this.#smallBytes -= bytes
    this.framesOut++
    this.bytesOut += frame.length + bytes - frameBytes
    this.#inFlight.push(this.#pool.pools(frame.length) ? frame : null)
    sink.write(frame, this.#writtenBound, tails)
    this.#sinkBuffered = sink.bufferedAmount
  }

  #written(inFlight: (Buffer | null)[]): void {
    // The write is done (or its socket is gone): its frame may carry the next one, whatever became of this queue.
    const frame = inFlight.shift()
    if (frame != null) this.#pool.release(frame)
    if (this.#sink === undefined) return
    this.#sinkBuffered = this.#sink.bufferedAmount
    if (this.#streamGateOpen(this.#sink)) this.#schedule()
    this.#o.onProgress()
  }
}

/** An attached message too large to join the small ones, queued among the streams and written whole. */
interface WholeAttached {
  readonly entry: AttachedEntry
  readonly key: string
}

/** The ordering key of a sender: a pid's key, a name, or '' for messages sent from outside any actor. */
export function senderKey(sender: unknown): string {
  return sender instanceof Pid ? sender.key : typeof sender === 'string' ? sender : ''
}
