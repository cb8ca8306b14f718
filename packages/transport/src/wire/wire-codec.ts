/**
 * Frames on the wire. After the handshake every binary WebSocket message is a batch of entries, each a 4-byte
 * big-endian length followed by that many bytes of one msgpack-encoded control message (core's codec, one per
 * connection, with the Pid/Ref extensions). During the handshake a binary message is one msgpack value, no prefix.
 *
 * Hot path: `writeFrame` and `readFrame` run once per frame and never copy an entry: decoding reads views.
 */
import { Buffer } from 'node:buffer'
import type { MessageCodec } from '@cohort/core'
import { AttachedEntry } from './attachments.ts'
import { CLOSE_CODES } from './close-codes.ts'
import type { FramePool } from './frame-pool.ts'
import { ProtocolError } from './protocol-error.ts'

/** Bytes of the length prefix of each entry. */
export const ENTRY_HEADER_BYTES = 4
/**
 * The largest WebSocket message a node accepts (ws `maxPayload`). Senders keep frames under flushThresholdBytes
 * (≤ 2 MiB) plus a fragment's head, and a fragment's chunk (its own message) under fragmentBytes (≤ 1 MiB), so honest
 * messages always fit.
 */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024

/**
 * One entry given in parts (core's `encodeParts`: the encoding around a large Buffer, and the Buffer itself), so that
 * its bytes are copied once, into the frame, instead of being joined first and then copied into the frame.
 */
export class EntryParts {
  readonly parts: readonly Uint8Array[]
  /** Bytes in all parts: the entry's length. */
  readonly length: number

  constructor(parts: readonly Uint8Array[], length: number) {
    this.parts = parts
    this.length = length
  }
}

/**
 * What a frame is written from: an entry's bytes, the entry in parts, or an attached message (its head goes in the
 * frame, its attachments after it: attachments.ts).
 */
export type FrameEntry = Uint8Array | EntryParts | AttachedEntry

/** Bytes `entry` takes in a frame, without its length prefix (an attached message's attachments are not in it). */
export function frameBytesOf(entry: FrameEntry): number {
  return entry instanceof AttachedEntry ? entry.head.length : entry.length
}

/**
 * Copies the first `count` of `entries` (`payloadBytes` in all, as `frameBytesOf` counts), each with its length prefix, into one buffer: the
 * frame, taken from `pool` when one is given (see frame-pool.ts for when it must be released).
 */
export function writeFrame(entries: readonly FrameEntry[], count: number, payloadBytes: number, pool?: FramePool): Buffer {
  const size = payloadBytes + count * ENTRY_HEADER_BYTES
  const frame = pool === undefined ? Buffer.allocUnsafe(size) : pool.take(size)
  let at = 0
  for (let i = 0; i < count; i++) {
    const e = entries[i] as FrameEntry
    if (e instanceof EntryParts) {
      frame.writeUInt32BE(e.length, at)
      let to = at + ENTRY_HEADER_BYTES
      for (const part of e.parts) {
        frame.set(part, to)
        to += part.length
      }
      at += ENTRY_HEADER_BYTES + e.length
    } else {
      const bytes = e instanceof AttachedEntry ? e.head : e
      frame.writeUInt32BE(bytes.length, at)
      frame.set(bytes, at + ENTRY_HEADER_BYTES)
      at += ENTRY_HEADER_BYTES + bytes.length
    }
  }
  return frame
}

/**
 * Decodes each entry of `frame` with `codec` and hands the value, and the entry's size in bytes, to `onValue`, in
 * order.
 * @throws ProtocolError 4006 for a truncated frame or undecodable bytes, 4008 for an entry over `maxEntryBytes`
 */
export function readFrame(
  frame: Buffer,
  codec: MessageCodec,
  maxEntryBytes: number,
  onValue: (value: unknown, bytes: number) => void,
): void {
  let at = 0
  const end = frame.length
  if (end === 0) throw new ProtocolError(CLOSE_CODES.malformed, 'empty frame')
  while (at < end) {
    if (end - at < ENTRY_HEADER_BYTES) throw new ProtocolError(CLOSE_CODES.malformed, 'truncated entry header')
    const length = frame.readUInt32BE(at)
    at += ENTRY_HEADER_BYTES
    if (length > maxEntryBytes) {
      throw new ProtocolError(CLOSE_CODES.messageTooLarge, `entry of ${length} bytes is over maxMessageBytes (${maxEntryBytes})`)
    }
    if (length === 0 || length > end - at) throw new ProtocolError(CLOSE_CODES.malformed, `entry of ${length} bytes overruns the frame`)
    // Decoded where it lies in the frame: a view per entry cost a view and a DataView per message (codec.ts).
    onValue(decodeEntry(codec, frame, at, at + length), length)
    at += length
  }
}

/** Decodes an attached message's encoding with its attachments (attachments.ts). @throws ProtocolError 4006 */
export function decodeAttachedEntry(codec: MessageCodec, bytes: Uint8Array, attachments: readonly Uint8Array[]): unknown {
  try {
    return codec.decodeAttached(bytes, attachments)
  } catch (error) {
    throw new ProtocolError(CLOSE_CODES.malformed, `undecodable attached entry: ${(error as Error).message}`, { cause: error })
  }
}

/** Decodes one msgpack value that must span all of `bytes`, or `bytes[start, end)`. @throws ProtocolError 4006 */
export function decodeEntry(codec: MessageCodec, bytes: Uint8Array, start?: number, end?: number): unknown {
  try {
    return codec.decode(bytes, start, end)
  } catch (error) {
    throw new ProtocolError(CLOSE_CODES.malformed, `undecodable entry: ${(error as Error).message}`, { cause: error })
  }
}
