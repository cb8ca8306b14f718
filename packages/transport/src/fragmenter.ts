/**
 * Large-message splitting. A control message whose encoding is larger than `fragmentBytes` leaves as a series of
 * `fragment` controls, written one per flush so that small messages and ticks to the same peer pass between them;
 * the receiver reassembles one message at a time, bounded by `maxMessageBytes`.
 *
 * Gotchas: senders fragment one message at a time per connection (others wait their turn), so a receiver never holds
 * more than one partial message; a fragment of another id before the current one is complete is a protocol error.
 */
import { CLOSE_CODES } from './close-codes.ts'
import { ProtocolError } from './errors.ts'
import type { FragmentControl } from './transport-control.ts'

/** One large encoded message being sent in fragments. */
export interface OutgoingStream {
  readonly id: number
  readonly bytes: Uint8Array
  /** Bytes already handed out as fragments. */
  offset: number
  /** Sender ordering key: messages of the same sender wait until this stream is sent. */
  readonly key: string
}

/** Returns the next fragment of `stream` (and advances it); `stream.offset === bytes.length` after the last one. */
export function nextFragment(stream: OutgoingStream, fragmentBytes: number): FragmentControl {
  const start = stream.offset
  const end = Math.min(start + fragmentBytes, stream.bytes.length)
  stream.offset = end
  return { type: 'fragment', id: stream.id, total: stream.bytes.length, chunk: stream.bytes.subarray(start, end) }
}

/** Bytes of a fragment entry before its chunk (see fragmentHeader). */
export const FRAGMENT_HEADER_BYTES = 17

/**
 * The msgpack encoding of `[14, id, total, chunk]` up to the chunk's bytes: a 4-element array, the code, `id` and
 * `total` as uint32, and a bin32 header for the chunk. Followed by the chunk it decodes as the fragment control, so a
 * fragment is sent as this header and a view of the message: the chunk is never copied into an encoder or a frame.
 */
export function fragmentHeader(fragment: FragmentControl): Buffer {
  const header = Buffer.allocUnsafe(FRAGMENT_HEADER_BYTES)
  header[0] = 0x94
  header[1] = 14
  header[2] = 0xce
  header.writeUInt32BE(fragment.id, 3)
  header[7] = 0xce
  header.writeUInt32BE(fragment.total, 8)
  header[12] = 0xc6
  header.writeUInt32BE(fragment.chunk.length, 13)
  return header
}

/** Reassembles incoming fragments into whole encoded messages. One per connection. */
export class Reassembler {
  readonly #maxMessageBytes: number
  #id = -1
  #buffer: Buffer | undefined
  #filled = 0

  constructor(maxMessageBytes: number) {
    this.#maxMessageBytes = maxMessageBytes
  }

  /** Bytes held for the message in progress. */
  get pendingBytes(): number {
    return this.#buffer === undefined ? 0 : this.#buffer.length
  }

  /**
   * Adds a fragment; returns the whole encoded message when this was its last fragment.
   * @throws ProtocolError 4008 when the message is over maxMessageBytes, 4007 when fragments do not fit together
   */
  add(fragment: FragmentControl): Uint8Array | undefined {
    const { id, total, chunk } = fragment
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
    const buffer = this.#buffer
    if (chunk.length > buffer.length - this.#filled) {
      throw new ProtocolError(CLOSE_CODES.unknownControl, `fragments of message ${id} exceed its total of ${total} bytes`)
    }
    buffer.set(chunk, this.#filled)
    this.#filled += chunk.length
    if (this.#filled < buffer.length) return undefined
    this.#buffer = undefined
    return buffer
  }
}
