/**
 * Where a socket's next read goes, and what of it to hand to `ws`, for a stream of WebSocket frames: Distributed
 * Erlang's way of reading a large payload (straight into memory of the payload's size) under `ws`'s receiver, which
 * still parses, checks and answers every frame.
 *
 * Node's default read path gets a fresh 64 KiB buffer for every read, and `ws` copies a frame that spans two reads
 * into one buffer; for a 64 KiB message that is a second copy of every byte after the kernel's. This reader reads
 * small frames into a reused slab, handing each read on as it is (a view, no copy), and reads the rest of a large
 * frame into a Buffer of its own, handed on whole once its last byte is in, so `ws`'s receiver takes it as one chunk
 * and its message is a view of it. That Buffer has a little room after the frame, so the read that ends the frame
 * also takes what follows it.
 *
 * Gotchas: it tracks the frames' boundaries from the first byte of the WebSocket stream, so bytes `ws` got another
 * way (the bytes that came with the upgrade, unshifted into the socket) must be passed to `skip`. It reads a frame in
 * place only once `readLargeFramesInPlace` is set (after the peer authenticated: before, a peer that never finishes a
 * large frame must not make the node hold memory for it), and only a frame `ws` will accept (`maxPayload`); anything
 * it does not understand is passed on for `ws` to refuse.
 */
import { Buffer } from 'node:buffer'

/** The slab small reads go into; a read gets at most this much. */
export const SLAB_BYTES = 64 * 1024

/** A new slab is cut once less than this is left of the current one (a retained view keeps its slab alive). */
const MIN_SLAB_SPACE = 16 * 1024

/**
 * A frame is read in place when at least this much of it has not arrived yet; below it, the copy `ws` makes costs
 * less than the extra read.
 */
export const IN_PLACE_MIN_BYTES = 16 * 1024

/**
 * A large frame's Buffer has this much room after the frame, so that the read of its last bytes also takes what
 * follows it (the next frames' headers, a small frame, the start of the next large frame's payload, which is copied
 * into that frame's Buffer) instead of a read of its own: one read per large frame, where there were two. When that
 * read ends with the frame, the next read is this small, for the same reason.
 */
export const READ_AFTER_LARGE_BYTES = 1024

/** The longest WebSocket frame header: 2 bytes, a 64-bit length, a 4-byte mask key. */
const MAX_HEADER_BYTES = 14

/** Bytes of the header whose second byte is `byte1`: the 7-bit length says how long the length is, bit 7 the mask. */
function headerLength(byte1: number): number {
  const length7 = byte1 & 0x7f
  return 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (byte1 & 0x80 ? 4 : 0)
}

/** The payload length of the whole header at `at` in `bytes`. */
function payloadLength(bytes: Uint8Array, at: number): number {
  const length7 = bytes[at + 1]! & 0x7f
  if (length7 < 126) return length7
  if (length7 === 126) return (bytes[at + 2]! << 8) | bytes[at + 3]!
  // 64 bits as a double: exact up to 2^53, and anything near that is far over any maxPayload.
  return (bytes[at + 2]! * 2 ** 24 + ((bytes[at + 3]! << 16) | (bytes[at + 4]! << 8) | bytes[at + 5]!)) * 2 ** 32 +
    (bytes[at + 6]! * 2 ** 24 + ((bytes[at + 7]! << 16) | (bytes[at + 8]! << 8) | bytes[at + 9]!))
}

export class InPlaceFrameReader {
  /** Set once large frames may be read in place (the peer authenticated). */
  readLargeFramesInPlace = false
  /** Frames read in place so far. */
  framesReadInPlace = 0
  readonly #handOn: (chunk: Buffer) => void
  readonly #maxPayload: number
  #slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
  #slabUsed = 0
  /** At most this much goes into the slab on the next read. */
  #readLimit = SLAB_BYTES
  /** What the last `nextBuffer()` returned. */
  #target: Buffer | undefined
  /** Payload bytes of the current frame still to come. */
  #payloadLeft = 0
  /** The bytes of a header split across reads. */
  readonly #header = Buffer.alloc(MAX_HEADER_BYTES)
  #headerFilled = 0
  /** The Buffer a frame is being read into in place (the frame, then room for what follows), and how much is in. */
  #frame: Buffer | undefined
  #frameFilled = 0
  /** Bytes of the frame being read in place: its header and payload. */
  #frameLength = 0
  /** Set on a frame `ws` will refuse: from then on every byte is handed on and the boundaries are not tracked. */
  #lost = false

  /** `handOn` gets the stream's bytes in order, in chunks, as `ws` would get them from the socket. */
  constructor(handOn: (chunk: Buffer) => void, maxPayload: number) {
    this.#handOn = handOn
    this.#maxPayload = maxPayload
  }

  /** The memory the next read goes into: the rest of a frame being read in place, else the slab's free part. */
  nextBuffer(): Buffer {
    const frame = this.#frame
    if (frame !== undefined) return (this.#target = frame.subarray(this.#frameFilled))
    if (SLAB_BYTES - this.#slabUsed < MIN_SLAB_SPACE) {
      this.#slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
      this.#slabUsed = 0
    }
    const end = Math.min(SLAB_BYTES, this.#slabUsed + this.#readLimit)
    return (this.#target = this.#slab.subarray(this.#slabUsed, end))
  }

  /** `nread` bytes arrived in the last `nextBuffer()`. */
  read(nread: number): void {
    const frame = this.#frame
    if (frame !== undefined) {
      this.#frameFilled += nread
      const length = this.#frameLength
      if (this.#frameFilled < length) return
      this.#frame = undefined
      this.#readLimit = READ_AFTER_LARGE_BYTES
      this.framesReadInPlace++
      this.#handOn(frame.subarray(0, length))
      // What came after the frame in the same read: never read into again, so handed on as a view.
      if (this.#frameFilled > length) this.#scan(frame.subarray(length, this.#frameFilled), true)
      return
    }
    const chunk = (this.#target as Buffer).subarray(0, nread)
    this.#slabUsed += nread
    this.#readLimit = SLAB_BYTES
    this.#scan(chunk, true)
  }

  /** Bytes of the stream that reached `ws` another way: their frames are tracked, nothing is handed on. */
  skip(chunk: Buffer): void {
    this.#scan(chunk, false)
  }

  /**
   * Walks the frames in `bytes`; hands on everything up to a large frame that has most of its bytes still to come,
   * and starts reading that one in place.
   */
  #scan(bytes: Buffer, handOn: boolean): void {
    const end = bytes.length
    let at = 0
    while (at < end && !this.#lost) {
      if (this.#payloadLeft > 0) {
        const n = Math.min(this.#payloadLeft, end - at)
        this.#payloadLeft -= n
        at += n
        continue
      }
      // A header starts here, or (at 0) one that began in the last read continues.
      const frameStart = at
      let payload: number
      if (this.#headerFilled === 0 && end - at >= 2 && end - at >= headerLength(bytes[at + 1]!)) {
        payload = payloadLength(bytes, at)
        at += headerLength(bytes[at + 1]!)
      } else {
        const got = this.#readHeader(bytes, at)
        at += got
        if (this.#headerFilled < 2 || this.#headerFilled < headerLength(this.#header[1]!)) continue
        payload = payloadLength(this.#header, 0)
        this.#headerFilled = 0
      }
      if (payload > this.#maxPayload) {
        this.#lost = true
        break
      }
      const missing = payload - (end - at)
      if (!handOn || !this.readLargeFramesInPlace || missing < IN_PLACE_MIN_BYTES) {
        this.#payloadLeft = payload
        continue
      }
      if (frameStart > 0) this.#handOn(bytes.subarray(0, frameStart))
      const length = end - frameStart + missing
      const frame = Buffer.allocUnsafeSlow(length + READ_AFTER_LARGE_BYTES)
      bytes.copy(frame, 0, frameStart, end)
      this.#frame = frame
      this.#frameFilled = end - frameStart
      this.#frameLength = length
      return
    }
    if (handOn) this.#handOn(bytes)
  }

  /** Copies header bytes from `bytes` at `at` until the header is whole or `bytes` ends; returns how many. */
  #readHeader(bytes: Buffer, at: number): number {
    let n = 0
    while (at + n < bytes.length) {
      const need = this.#headerFilled < 2 ? 2 : headerLength(this.#header[1]!)
      if (this.#headerFilled >= need) break
      this.#header[this.#headerFilled++] = bytes[at + n]!
      n++
    }
    return n
  }
}
