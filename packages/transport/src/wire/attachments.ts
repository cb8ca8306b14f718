/**
 * Messages with attachments. A message holding Buffers of `ATTACH_MIN_BYTES` and more is encoded with those
 * Buffers left out (core's `encodeAttached`: a 6-byte placeholder where each belongs) and leaves as an `attached` entry
 * whose head carries the encoding and each attachment's length; the heads of a frame's attached messages end it, and
 * their attachments follow the frame in the same order, each a WebSocket message of its own, raw. The sender never
 * copies an attachment (ws writes the caller's Buffer as it is, unmasked) and the receiver hands each one to the
 * message as ws read it from the socket. A large Buffer is then copied once between `send` and the receiving handler
 * (the kernel's copy, straight into the Buffer the handler gets, with `readInPlace`; without it `ws` copies again a
 * frame that spans two of Node's reads), where packing it into a frame copied it twice on the sender (msgpackr's
 * encoding, then the frame) and a reassembled stream twice on the receiver (the read of each fragment, then the
 * reassembly).
 *
 * Gotchas: the receiver decodes a message only once all its attachments have arrived, and nothing but other attached
 * heads may come between a head and its attachments: any other entry after a head in its frame closes the connection
 * (4007), since it would overtake the attached message. A message whose encoding without its Buffers is over a
 * fragment, or whose Buffers add up to more than one flush of a stream writes (four fragments: 1 MiB at the default
 * `fragmentBytes`), travels as a stream instead (fragmenter.ts), so small messages wait behind one attached message no
 * longer than behind a stream's flush.
 */
import { Buffer } from 'node:buffer'
import { CLOSE_CODES } from './close-codes.ts'
import { CONTROL_CODES } from './control-validation.ts'
import { ProtocolError } from './protocol-error.ts'

/**
 * Buffers from this size are attached rather than copied into the encoding. Below it, the extra WebSocket message (its
 * header, its event on the receiver) costs about what the copies it saves do.
 */
export const ATTACH_MIN_BYTES = 16 * 1024

/** At most this many attachments per message; a message with more is sent as a stream. */
export const MAX_ATTACHMENTS = 1024

/** The control code of an attached message's head (`[19, encoding, lengths]`). */
export const ATTACHED_CODE = CONTROL_CODES.attached

/** An attached message as queued: the head entry that goes in a frame, and the attachments that follow the frame. */
export class AttachedEntry {
  /** The entry's bytes in the frame: `[19, encoding, lengths]`. */
  readonly head: Buffer
  readonly attachments: readonly Buffer[]
  /** Bytes of the head and every attachment: what the message weighs in the queue and on the wire. */
  readonly length: number
  /** Bytes of the attachments alone. */
  readonly attachedBytes: number

  constructor(head: Buffer, attachments: readonly Buffer[], length: number) {
    this.head = head
    this.attachments = attachments
    this.length = length
    this.attachedBytes = length - head.length
  }
}

/**
 * The entry for a message encoded with attachments: its head written by hand as the msgpack array
 * `[19, bin encoding, [uint32 length, …]]` (the encoding is small: the attachments are not in it).
 */
export function attachedEntry(encoding: Uint8Array, attachments: readonly Buffer[]): AttachedEntry {
  const n = attachments.length
  const binHeader = encoding.length < 0x100 ? 2 : encoding.length < 0x10000 ? 3 : 5
  const arrayHeader = n < 16 ? 1 : n < 0x10000 ? 3 : 5
  const head = Buffer.allocUnsafe(2 + binHeader + encoding.length + arrayHeader + 5 * n)
  head[0] = 0x93
  head[1] = ATTACHED_CODE
  let at = 2
  if (binHeader === 2) {
    head[at] = 0xc4
    head[at + 1] = encoding.length
  } else if (binHeader === 3) {
    head[at] = 0xc5
    head.writeUInt16BE(encoding.length, at + 1)
  } else {
    head[at] = 0xc6
    head.writeUInt32BE(encoding.length, at + 1)
  }
  at += binHeader
  head.set(encoding, at)
  at += encoding.length
  if (arrayHeader === 1) head[at] = 0x90 | n
  else if (arrayHeader === 3) {
    head[at] = 0xdc
    head.writeUInt16BE(n, at + 1)
  } else {
    head[at] = 0xdd
    head.writeUInt32BE(n, at + 1)
  }
  at += arrayHeader
  let total = head.length
  for (const a of attachments) {
    head[at] = 0xce
    head.writeUInt32BE(a.length, at + 1)
    at += 5
    total += a.length
  }
  return new AttachedEntry(head, attachments, total)
}

/** What an attached message's head and attachments were, once all have arrived. */
export interface ArrivedMessage {
  readonly encoding: Uint8Array
  readonly attachments: readonly Uint8Array[]
  /** Bytes of the encoding and the attachments. */
  readonly bytes: number
}

/** A head whose attachments are awaited. */
interface PendingHead {
  readonly encoding: Uint8Array
  readonly lengths: readonly number[]
  readonly bytes: number
}

/** Collects the attachments of the attached messages whose heads arrived, in order. One per connection. */
export class AttachmentReceiver {
  readonly #maxMessageBytes: number
  /** Heads of the last frame whose attachments have not all arrived, oldest first (`#first` indexes the current). */
  #pending: PendingHead[] = []
  #first = 0
  #received: Uint8Array[] = []

  constructor(maxMessageBytes: number) {
    this.#maxMessageBytes = maxMessageBytes
  }

  /** True between a head and its last attachment: the next WebSocket message is an attachment. */
  get awaiting(): boolean {
    return this.#first < this.#pending.length
  }

  /**
   * Takes a decoded head `[19, encoding, lengths]`.
   * @throws ProtocolError 4007 for a malformed head, 4008 when the message is over maxMessageBytes
   */
  head(value: readonly unknown[]): void {
    const encoding = value[1]
    const lengths = value[2]
    if (value.length !== 3 || !(encoding instanceof Uint8Array) || encoding.length === 0) {
      throw new ProtocolError(CLOSE_CODES.unknownControl, 'attached control message has an invalid encoding')
    }
    if (!Array.isArray(lengths) || lengths.length === 0 || lengths.length > MAX_ATTACHMENTS) {
      throw new ProtocolError(CLOSE_CODES.unknownControl, `attached control message must list 1 to ${MAX_ATTACHMENTS} attachment lengths`)
    }
    let bytes = encoding.length
    for (const length of lengths) {
      if (!Number.isSafeInteger(length) || (length as number) < 1) {
        throw new ProtocolError(CLOSE_CODES.unknownControl, 'attached control message has an invalid attachment length')
      }
      bytes += length as number
    }
    if (bytes > this.#maxMessageBytes) {
      throw new ProtocolError(CLOSE_CODES.messageTooLarge, `attached message of ${bytes} bytes is over maxMessageBytes (${this.#maxMessageBytes})`)
    }
    this.#pending.push({ encoding, lengths: lengths as number[], bytes })
  }

  /**
   * Takes the next attachment; returns the whole message once it was the last one.
   * @throws ProtocolError 4006 when the attachment is not the announced length
   */
  attachment(bytes: Uint8Array): ArrivedMessage | undefined {
    const head = this.#pending[this.#first]
    if (head === undefined) throw new ProtocolError(CLOSE_CODES.malformed, 'attachment without an attached head')
    const expected = head.lengths[this.#received.length] as number
    if (bytes.length !== expected) {
      throw new ProtocolError(CLOSE_CODES.malformed, `attachment of ${bytes.length} bytes, its head announced ${expected}`)
    }
    this.#received.push(bytes)
    if (this.#received.length < head.lengths.length) return undefined
    const arrived = { encoding: head.encoding, attachments: this.#received, bytes: head.bytes }
    this.#received = []
    this.#first++
    if (this.#first === this.#pending.length) {
      this.#pending = []
      this.#first = 0
    }
    return arrived
  }
}
