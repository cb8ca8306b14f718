/**
 * Large-message splitting. A control message whose encoding is larger than `fragmentBytes` leaves as a series of
 * fragments, written a few per flush so that small messages and ticks to the same peer pass between them. A fragment
 * is a `fragment` entry (its head: id, total, length), last in its frame, and then its chunk as the next WebSocket
 * message, raw: the sender never copies the chunk into an encoding or a frame, and the receiver's ws hands the chunk
 * over as it read it, without joining it to the frame before it. The receiver reassembles one message at a time,
 * bounded by `maxMessageBytes`.
 *
 * Gotchas: senders fragment one message at a time per connection (others wait their turn), so a receiver never holds
 * more than one partial message; a fragment of another id before the current one is complete is a protocol error.
 */
import { Buffer } from 'node:buffer'
import { CLOSE_CODES } from './close-codes.ts'
import { ProtocolError } from './protocol-error.ts'
import type { FragmentControl } from './transport-control.ts'

/** One large encoded message being sent in fragments. */
export interface OutgoingStream {
  readonly id: number
  /**
   * The encoding in parts (core's `encodeParts`: a large Buffer in the message is a part of its own, never copied);
   * a fragment never spans two parts. None is empty.
   */
  readonly parts: readonly Uint8Array[]
  /** Bytes in all parts. */
  readonly total: number
  /** The part being sent, and the bytes of it already handed out as fragments. */
  part: number
  offset: number
  /** Sender ordering key: messages of the same sender wait until this stream is sent. */
  readonly key: string
}

/** The next slice of a stream: its head's fields and a view of its bytes. */
export interface OutgoingFragment {
  readonly id: number
  readonly total: number
  readonly chunk: Uint8Array
}

/** Returns the next fragment of `stream` (and advances it); `stream.part === parts.length` after the last one. */
export function nextFragment(stream: OutgoingStream, fragmentBytes: number): OutgoingFragment {
  const bytes = stream.parts[stream.part] as Uint8Array
  const start = stream.offset
  const end = Math.min(start + fragmentBytes, bytes.length)
  if (end === bytes.length) {
    stream.part++
    stream.offset = 0
  } else {
    stream.offset = end
  }
  return { id: stream.id, total: stream.total, chunk: bytes.subarray(start, end) }
}

/** Bytes in `parts`. */
export function totalLength(parts: readonly Uint8Array[]): number {
  let total = 0
  for (const part of parts) total += part.length
  return total
}

/** Bytes of a fragment's head entry (see fragmentHeader). */
export const FRAGMENT_HEADER_BYTES = 17

/**
 * The msgpack encoding of the head `[14, id, total, length]`: a 4-element array, the code, then `id`, `total` and the
 * chunk's length as uint32 each, written by hand. The chunk itself follows as the next WebSocket message.
 */
export function fragmentHeader(fragment: OutgoingFragment): Buffer {
  const header = Buffer.allocUnsafe(FRAGMENT_HEADER_BYTES)
  header[0] = 0x94
  header[1] = 14
  header[2] = 0xce
  header.writeUInt32BE(fragment.id, 3)
  header[7] = 0xce
  header.writeUInt32BE(fragment.total, 8)
  header[12] = 0xce
  header.writeUInt32BE(fragment.chunk.length, 13)
  return header
}

/** Reassembles incoming fragments into whole encoded messages. One per connection. */
export class Reassembler {
  readonly #maxMessageBytes: number
  #id = -1
  #buffer: Buffer | undefined
  #filled = 0
  /** Length of the chunk announced by the last head, 0 when no chunk is awaited. */
  #awaited = 0

  constructor(maxMessageBytes: number) {
    this.#maxMessageBytes = maxMessageBytes
  }

  /** Bytes held for the message in progress. */
  get pendingBytes(): number {
    return this.#buffer === undefined ? 0 : this.#buffer.length
  }

  /** True between a fragment's head and its chunk: the next WebSocket message is the chunk. */
  get awaitingChunk(): boolean {
    return this.#awaited > 0
  }

  /**
   * Takes a fragment's head, before its chunk.
   * @throws ProtocolError 4008 when the message is over maxMessageBytes, 4007 when fragments do not fit together
   */
  head(fragment: FragmentControl): void {
    const { id, total, length } = fragment
    if (this.#awaited > 0) {
      throw new ProtocolError(CLOSE_CODES.unknownControl, `fragment head of message ${id} arrived before the chunk of the last one`)
    }
    if (this.#buffer === undefined) {
      if (total > this.#maxMessageBytes) {
        throw new ProtocolError(CLOSE_CODES.messageTooLarge, `fragmented message of ${total} bytes is over maxMessageBytes (${this.#maxMessageBytes})`)
      }
      this.#id = id
      this.#buffer = Buffer.allocUnsafe(total)
      this.#filled = 0
    } else if (id !== this.#id || total !== this.#buffer.length) {
      throw new ProtocolError(CLOSE_CODES.unknownControl, `fragment of message ${id} arrived while message ${this.#id} is incomplete`)
    }
    if (length > this.#buffer.length - this.#filled) {
      throw new ProtocolError(CLOSE_CODES.unknownControl, `fragments of message ${id} exceed its total of ${total} bytes`)
    }
    this.#awaited = length
  }

  /**
   * Takes the chunk announced by the last head; returns the whole encoded message when this was its last fragment.
   * @throws ProtocolError 4006 when the chunk is not the announced length
   */
  chunk(bytes: Uint8Array): Uint8Array | undefined {
    const buffer = this.#buffer
    if (this.#awaited === 0 || buffer === undefined) throw new ProtocolError(CLOSE_CODES.malformed, 'fragment chunk without a head')
    if (bytes.length !== this.#awaited) {
      throw new ProtocolError(CLOSE_CODES.malformed, `fragment chunk of ${bytes.length} bytes, its head announced ${this.#awaited}`)
    }
    this.#awaited = 0
    buffer.set(bytes, this.#filled)
    this.#filled += bytes.length
    if (this.#filled < buffer.length) return undefined
    this.#buffer = undefined
    return buffer
  }
}
