/**
 * A batch of small sends between a connection's own two nodes, packed as one msgpack value (entry code 16). Sends are
 * grouped in runs of consecutive messages between the same two actors, and a run names its two actors once:
 *
 *   [16, [toId, toCreation, fromId, fromCreation, count, msg₁ … msgₙ,  toId, …]]
 *
 * `fromId` and `fromCreation` are nil for a send from outside any actor. A stream of messages from one actor to
 * another then costs msgpack nothing but the messages themselves, which is what a bare socket carrying the same
 * messages pays: the envelope per message (two pids) was half the cost of packing a 64-byte message.
 *
 * Between runs, an array is a small control message in its positional form (a monitor, a demonitor, a link, an exit,
 * a down: `addControl`), in its place in the order of the session's messages. Each of a remote call's monitor and
 * demonitor was its own msgpack call and its own entry; inside the batch they share the batch's one call.
 *
 * Hot path: `add` (every small remote send: a few comparisons and one or two array pushes) and `readSendBatch`.
 */
import { Buffer } from 'node:buffer'
import { Pid } from '@cohort/core'
import type { MessageCodec } from '@cohort/core'
import { writeBufferBatch } from './buffer-batch-writer.ts'
import { CLOSE_CODES } from './close-codes.ts'
import { ProtocolError } from './protocol-error.ts'
import { CONTROL_CODES, isId } from './control-validation.ts'
import type { WireNames } from './control-validation.ts'

/** Values before the messages of a run. */
const RUN_HEADER_VALUES = 5
/** Marks a call among the batch's values: `-1, to, toCreation, portId, refId, creation, request` (code 17's fields). */
export const CALL_MARK = -1
export const CALL_VALUES = 7
/** Marks a reply: `-2, toId, refId, creation, released, value` (code 18's fields). */
export const REPLY_MARK = -2
export const REPLY_VALUES = 6
/** Upper bound of a call's or a reply's fields besides its request or value: five values of at most 9 bytes. */
const CALL_FIELDS_BYTES = 5 * 9 + 1
/** Upper bound of a run header's encoded size: five values of at most 9 bytes. */
const RUN_HEADER_BYTES = RUN_HEADER_VALUES * 9
/** Upper bound of the batch's own framing: the entry array, the code and the run array headers. */
const BATCH_FRAMING_BYTES = 16

/** The sends of one batch being collected, not encoded yet. */
export class SendBatch {
  #values: unknown[] = []
  #bytes = 0
  /** Index of the current run's count in `#values`, -1 when no run is open. */
  #countAt = -1
  #toId = 0
  #toCreation = 0
  #fromId = -1
  #fromCreation = -1
  /** True while every message is a Buffer and there is no control: the batch is then written without msgpackr. */
  #onlyBuffers = true

  /** Upper bound of the encoded size of the batch so far (0 when empty). */
  get bytes(): number {
    return this.#bytes
  }

  get isEmpty(): boolean {
    return this.#values.length === 0
  }

  /**
   * Adds a send of `msg` from `from` (an actor of this node, or undefined) to `to` (an actor of the peer), whose
   * encoded size is at most `msgBytes`.
   */
  add(to: Pid, from: Pid | undefined, msg: unknown, msgBytes: number): void {
    const values = this.#values
    const fromId = from === undefined ? -1 : from.id
    const fromCreation = from === undefined ? -1 : from.creation
    if (
      this.#countAt >= 0 &&
      to.id === this.#toId &&
      to.creation === this.#toCreation &&
      fromId === this.#fromId &&
      fromCreation === this.#fromCreation
    ) {
      values[this.#countAt] = (values[this.#countAt] as number) + 1
      values.push(msg)
      this.#bytes += msgBytes
      if (!(msg instanceof Buffer)) this.#onlyBuffers = false
      return
    }
    if (!(msg instanceof Buffer)) this.#onlyBuffers = false
    if (this.#values.length === 0) this.#bytes = BATCH_FRAMING_BYTES
    this.#toId = to.id
    this.#toCreation = to.creation
    this.#fromId = fromId
    this.#fromCreation = fromCreation
    this.#countAt = values.length + RUN_HEADER_VALUES - 1
    if (from === undefined) values.push(to.id, to.creation, null, null, 1, msg)
    else values.push(to.id, to.creation, from.id, from.creation, 1, msg)
    this.#bytes += RUN_HEADER_BYTES + msgBytes
  }

  /**
   * Adds a call (compact: its port and ref are this node's, its callee the peer's; see `assertCompactCall`) whose
   * request's encoded size is at most `requestBytes`, as marked values rather than an array of its own: neither side
   * allocates one per call.
   */
  addCall(to: number | string, toCreation: number | null, portId: number, refId: number, creation: number, request: unknown, requestBytes: number): void {
    this.#open()
    this.#values.push(CALL_MARK, to, toCreation, portId, refId, creation, request)
    this.#bytes += CALL_FIELDS_BYTES + requestBytes
  }

  /** Adds a reply to the peer's port `toId` (compact: `isCompactReply`), as `addCall` adds a call. */
  addReply(toId: number, refId: number, creation: number, released: boolean, value: unknown, valueBytes: number): void {
    this.#open()
    this.#values.push(REPLY_MARK, toId, refId, creation, released, value)
    this.#bytes += CALL_FIELDS_BYTES + valueBytes
  }

  /** Starts the batch's framing if it is empty, and ends the current run: what follows is not one of its sends. */
  #open(): void {
    if (this.#values.length === 0) this.#bytes = BATCH_FRAMING_BYTES
    this.#countAt = -1
    this.#onlyBuffers = false
  }

  /**
   * Adds a control message in its positional wire form (an array: control-validation.ts `toWire`) whose encoded size
   * is at most `bytes`. It ends the current run, so the sends after it follow it.
   */
  addControl(wire: readonly unknown[], bytes: number): void {
    this.#open()
    this.#values.push(wire)
    this.#bytes += bytes
  }

  /**
   * The batch's entry, `[16, values]`, encoded with `codec`, or without it when every message is a Buffer
   * (buffer-batch-writer.ts: the same bytes); the batch is empty afterwards.
   */
  encode(codec: MessageCodec): Uint8Array {
    const bytes = this.#onlyBuffers
      ? writeBufferBatch(CONTROL_CODES.batch, this.#values, this.#bytes)
      : codec.encode([CONTROL_CODES.batch, this.#values])
    this.clear()
    return bytes
  }

  /**
   * `encode`, checked: when encoding throws, or the entry comes out larger than the bound the batch was sized by, a
   * message was changed after it was sent (a Symbol put in, a 20 MB string attached). Then each value is encoded on
   * its own, and those that fail or outgrew `maxValueBytes` (the most any of them could weigh when added) are dropped
   * and reported to `onDropped` with their sender's pid id (null outside actors), so the fault stays with that
   * message: the other messages go, and the connection lives. Returns undefined when nothing is left.
   */
  encodeChecked(codec: MessageCodec, maxValueBytes: number, onDropped: (fromId: number | null, error: Error) => void): Uint8Array | undefined {
    const bound = this.#bytes
    try {
      const bytes = this.#onlyBuffers ? writeBufferBatch(CONTROL_CODES.batch, this.#values, bound) : codec.encode([CONTROL_CODES.batch, this.#values])
      if (bytes.length <= bound) {
        this.clear()
        return bytes
      }
    } catch {
      // One of the values cannot be encoded any more: found below.
    }
    const kept = this.#salvage(codec, maxValueBytes, onDropped)
    this.clear()
    return kept.length === 0 ? undefined : codec.encode([CONTROL_CODES.batch, kept])
  }

  /** The values that still encode within `maxValueBytes`, runs recounted; the rest reported. */
  #salvage(codec: MessageCodec, maxValueBytes: number, onDropped: (fromId: number | null, error: Error) => void): unknown[] {
    const values = this.#values
    const out: unknown[] = []
    const check = (value: unknown): Error | undefined => {
      try {
        const size = codec.encode(value).length
        return size <= maxValueBytes ? undefined : new Error(`encoded to ${size} bytes, more than the ${maxValueBytes} it had when sent`)
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error))
      }
    }
    let at = 0
    while (at < values.length) {
      const head = values[at]
      if (Array.isArray(head)) {
        const error = check(head)
        if (error === undefined) out.push(head)
        else onDropped(typeof head[1] === 'number' ? head[1] : null, error)
        at++
        continue
      }
      if (head === CALL_MARK || head === REPLY_MARK) {
        const size = head === CALL_MARK ? CALL_VALUES : REPLY_VALUES
        const error = check(values[at + size - 1])
        if (error === undefined) for (let i = 0; i < size; i++) out.push(values[at + i])
        else onDropped(null, error)
        at += size
        continue
      }
      const count = values[at + RUN_HEADER_VALUES - 1] as number
      const fromId = values[at + 2] as number | null
      const header = values.slice(at, at + RUN_HEADER_VALUES)
      const msgs: unknown[] = []
      for (let i = 0; i < count; i++) {
        const msg = values[at + RUN_HEADER_VALUES + i]
        const error = check(msg)
        if (error === undefined) msgs.push(msg)
        else onDropped(fromId, error)
      }
      if (msgs.length > 0) {
        header[RUN_HEADER_VALUES - 1] = msgs.length
        out.push(...header, ...msgs)
      }
      at += RUN_HEADER_VALUES + count
    }
    return out
  }

  clear(): void {
    this.#values = []
    this.#bytes = 0
    this.#countAt = -1
    this.#onlyBuffers = true
  }
}

function bad(what: string): ProtocolError {
  return new ProtocolError(CLOSE_CODES.unknownControl, `batch control message has an invalid ${what}`)
}

/**
 * Calls `onRun` for each run of a received batch (the value after code 16), in order: the run's messages are
 * `msgs[start..end)`; `onControl` for each control message between runs (an array, checked by the caller); and
 * `onMarked` for each call or reply, whose mark is `values[at]` (its fields follow it, checked by the caller). Each
 * run is checked before it is handed on; a bad run stops the batch (the connection closes: code 4007).
 * @throws ProtocolError 4007 for anything but well-formed runs, controls, calls and replies
 */
export function readSendBatch(
  values: unknown,
  names: WireNames | undefined,
  onRun: (to: Pid, from: Pid | undefined, msgs: readonly unknown[], start: number, end: number) => void,
  onControl: (control: unknown[]) => void,
  onMarked: (values: readonly unknown[], at: number) => void = () => {
    throw bad('entry (a call or a reply where none is expected)')
  },
): void {
  if (names === undefined) throw bad('connection (no names before the handshake)')
  if (!Array.isArray(values) || values.length === 0) throw bad('run list')
  const end = values.length
  let at = 0
  while (at < end) {
    const head: unknown = values[at]
    if (Array.isArray(head)) {
      onControl(head)
      at++
      continue
    }
    if (head === CALL_MARK || head === REPLY_MARK) {
      const size = head === CALL_MARK ? CALL_VALUES : REPLY_VALUES
      if (end - at < size) throw bad(head === CALL_MARK ? 'call (truncated)' : 'reply (truncated)')
      onMarked(values, at)
      at += size
      continue
    }
    if (end - at <= RUN_HEADER_VALUES) throw bad('run (truncated)')
    const toId = values[at]
    const toCreation = values[at + 1]
    const fromId = values[at + 2]
    const fromCreation = values[at + 3]
    const count = values[at + 4]
    if (!isId(toId) || !isId(toCreation)) throw bad('run recipient')
    const hasFrom = fromId !== null
    if (hasFrom ? !isId(fromId) || !isId(fromCreation) : fromCreation !== null) throw bad('run sender')
    if (!isId(count) || count === 0 || count > end - at - RUN_HEADER_VALUES) throw bad('run length')
    // One pair of pids per run: every message of the run shares them.
    const to = new Pid(names.local, toId, toCreation)
    const from = hasFrom ? new Pid(names.peer, fromId as number, fromCreation as number) : undefined
    at += RUN_HEADER_VALUES
    onRun(to, from, values, at, at + count)
    at += count
  }
}
