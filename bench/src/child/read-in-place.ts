/**
 * Length-prefixed frames read the way the Erlang distribution reads packets, for the `net-onread` baseline: a frame's
 * 4-byte length is read into a small reused buffer, and the rest of the frame straight into a Buffer of the frame's
 * size, so no byte is copied after the kernel's copy and no read gets a fresh buffer of its own. What Node's default
 * read path costs beside it (a fresh 64 KiB buffer for every read, and a copy of each frame that spans two of them) is
 * the difference between the `net` and `net-onread` baselines.
 *
 * Node offers `onread` only when it creates the socket. A socket a server accepted (with `pauseOnConnect`, so that
 * nothing has been read) has its handle moved into a new `net.Socket` that reads this way: `_handle` is not a
 * documented property, which is acceptable in a baseline that measures what Node's sockets could do. The runtime
 * switches its sockets another way (the transport's `readInPlace`: the properties `net` sets for `onread`), and reads
 * Node's default way when those internals are not there.
 */
import { Socket } from 'node:net'

/** The reused buffer a frame's length (and any bytes after it in the same read) is read into. */
const HEAD_BYTES = 4096

/** The frames' parser: which memory the next read goes into (`nextBuffer`), and what a read brought (`read`). */
export class InPlaceFrameReader {
  readonly #head = Buffer.allocUnsafe(HEAD_BYTES)
  readonly #onFrame: (frame: Buffer) => void
  /** Bytes of a length read in two pieces. */
  #partialLength: Buffer | null = null
  /** The frame being read into, and how much of it has arrived. */
  #frame: Buffer | null = null
  #filled = 0

  constructor(onFrame: (frame: Buffer) => void) {
    this.#onFrame = onFrame
  }

  /** The rest of a frame goes straight into it; anything else into the small buffer. */
  nextBuffer(): Buffer {
    return this.#frame !== null ? this.#frame.subarray(this.#filled) : this.#head
  }

  /** `nread` bytes arrived in `buffer`, the last `nextBuffer()`. */
  read(nread: number, buffer: Uint8Array): void {
    if (buffer !== this.#head) {
      this.#filled += nread
      if (this.#filled === this.#frame!.length) this.#deliver()
      return
    }
    const bytes = this.#head.subarray(0, nread)
    if (this.#partialLength === null) this.#parse(bytes)
    else {
      const joined = Buffer.concat([this.#partialLength, bytes])
      this.#partialLength = null
      this.#parse(joined)
    }
  }

  /** Bytes read into the small buffer: the ends and starts of frames, copied into their own Buffers. */
  #parse(bytes: Buffer): void {
    let at = 0
    while (at < bytes.length) {
      const frame = this.#frame
      if (frame !== null) {
        const n = Math.min(bytes.length - at, frame.length - this.#filled)
        bytes.copy(frame, this.#filled, at, at + n)
        this.#filled += n
        at += n
        if (this.#filled === frame.length) this.#deliver()
        continue
      }
      if (bytes.length - at < 4) {
        this.#partialLength = Buffer.from(bytes.subarray(at))
        return
      }
      const length = bytes.readUInt32BE(at)
      at += 4
      this.#frame = Buffer.allocUnsafe(length)
      this.#filled = 0
      if (length === 0) this.#deliver()
    }
  }

  #deliver(): void {
    const frame = this.#frame!
    this.#frame = null
    this.#onFrame(frame)
  }
}

/** Reads `accepted`'s frames in place and calls `onFrame` with each; returns the socket that now owns the connection. */
export function readFramesInPlace(accepted: Socket, onFrame: (frame: Buffer) => void): Socket {
  const handle = (accepted as unknown as { _handle: unknown })._handle
  if (handle === null || handle === undefined) throw new Error('readFramesInPlace: the accepted socket has no handle; accept it with pauseOnConnect')
  // The accepted Socket must not read or close the handle it no longer owns; destroyed without it, it only counts as
  // closed, so that its server's close() does not wait for it (the new socket is not the server's to track).
  ;(accepted as unknown as { _handle: unknown })._handle = null
  accepted.destroy()
  const reader = new InPlaceFrameReader(onFrame)
  const socket = new Socket({
    handle,
    // Node asks for the next buffer after each callback, so each read goes where the parser is.
    onread: { buffer: () => reader.nextBuffer(), callback: (nread: number, buffer: Uint8Array) => reader.read(nread, buffer) },
  } as ConstructorParameters<typeof Socket>[0])
  socket.resume()
  return socket
}
