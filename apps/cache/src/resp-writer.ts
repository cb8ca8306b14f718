/**
 * The RESP2 reply encoder: simple strings, errors, integers, bulk strings (and the null bulk), arrays. Replies are
 * written into one growing Buffer per connection and taken out once per received chunk, so a pipeline of a hundred
 * commands leaves as one socket write.
 *
 * Hot path: every RESP reply passes here. Small replies are copied into the shared buffer byte by byte (for a few
 * bytes a loop beats `TypedArray.set` and string encoding, which cost a call into C++ each); lengths and integers are
 * written as digits without building a string; `+OK` and the null bulk are fixed bytes. A bulk value of 64 KiB or
 * more is not copied but queued as its own part after what precedes it.
 */
import { Buffer } from 'node:buffer'

/** Bulk values at least this large are queued as they are instead of copied. */
const LARGE_BULK_BYTES = 64 * 1024
/** Up to this many bytes are copied in a JavaScript loop; larger copies go through `TypedArray.set`. */
const LOOP_COPY_BYTES = 64
/** Room for `$`, a length of up to 16 digits and CRLF. */
const BULK_HEADER_BYTES = 19
const CRLF = Buffer.from('\r\n')
const NULL_BULK = Buffer.from('$-1\r\n')
const NULL_ARRAY = Buffer.from('*-1\r\n')

/** Accumulates replies; `take` returns what to write. */
export class RespWriter {
  #buf: Buffer
  #at = 0
  #parts: Buffer[] = []

  constructor(initialBytes = 16 * 1024) {
    this.#buf = Buffer.allocUnsafe(initialBytes)
  }

  /** True when nothing is waiting to be taken. */
  get empty(): boolean {
    return this.#at === 0 && this.#parts.length === 0
  }

  /** `+OK`. */
  ok(): void {
    this.#reserve(5)
    const buf = this.#buf
    const at = this.#at
    buf[at] = 0x2b
    buf[at + 1] = 0x4f
    buf[at + 2] = 0x4b
    buf[at + 3] = 0x0d
    buf[at + 4] = 0x0a
    this.#at = at + 5
  }

  /** A simple string (`+PONG`); it must not contain CR or LF. */
  simple(text: string): void {
    this.#ascii(`+${text}\r\n`)
  }

  /**
   * An error reply. `message` starts with the error's kind as Redis spells it (`ERR …`, `WRONGTYPE …`); CR and LF are
   * replaced by spaces, since a line break would end the reply early.
   */
  error(message: string): void {
    this.#utf8(`-${message.replace(/[\r\n]/g, ' ')}\r\n`)
  }

  /** An integer reply (`:3`). */
  integer(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) return this.#ascii(`:${value}\r\n`)
    this.#reserve(BULK_HEADER_BYTES)
    this.#buf[this.#at++] = 0x3a /* ':' */
    this.#digits(value)
  }

  /** A bulk string from bytes, or the null bulk for undefined. */
  bulk(value: Uint8Array | undefined): void {
    if (value === undefined) return this.#bytes(NULL_BULK)
    const length = value.length
    if (length >= LARGE_BULK_BYTES) {
      this.#ascii(`$${length}\r\n`)
      this.#flushPart()
      this.#parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength), CRLF)
      return
    }
    this.#reserve(BULK_HEADER_BYTES + length + 2)
    const buf = this.#buf
    buf[this.#at++] = 0x24 /* '$' */
    this.#digits(length)
    let at = this.#at
    if (length <= LOOP_COPY_BYTES) {
      for (let i = 0; i < length; i++) buf[at + i] = value[i]!
    } else {
      buf.set(value, at)
    }
    at += length
    buf[at] = 0x0d
    buf[at + 1] = 0x0a
    this.#at = at + 2
  }

  /** A bulk string from text, written as UTF-8. */
  bulkText(text: string): void {
    this.bulk(Buffer.from(text, 'utf8'))
  }

  /** A bulk string from a latin1 string (a key: one character per byte, see key-codec.ts). */
  bulkLatin1(text: string): void {
    this.#ascii(`$${text.length}\r\n`)
    this.#reserve(text.length + 2)
    this.#at += this.#buf.write(text, this.#at, 'latin1')
    this.#bytes(CRLF)
  }

  /** The header of an array of `count` elements; the elements follow as further replies. */
  arrayHeader(count: number): void {
    this.#ascii(`*${count}\r\n`)
  }

  /** The null array (`*-1`). */
  nullArray(): void {
    this.#bytes(NULL_ARRAY)
  }

  /** Everything written since the last take, as the parts to write in order; empties the writer. */
  take(): Buffer[] {
    this.#flushPart()
    const parts = this.#parts
    this.#parts = []
    return parts
  }

  #flushPart(): void {
    if (this.#at === 0) return
    this.#parts.push(Buffer.from(this.#buf.subarray(0, this.#at)))
    this.#at = 0
  }

  #reserve(bytes: number): void {
    if (this.#at + bytes <= this.#buf.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + bytes))
    this.#buf.copy(grown, 0, 0, this.#at)
    this.#buf = grown
  }

  /** Writes a non-negative safe integer's digits and CRLF; the room was reserved. */
  #digits(value: number): void {
    const buf = this.#buf
    let at = this.#at
    if (value < 10) {
      buf[at++] = 0x30 + value
    } else {
      let width = 1
      for (let v = value; v >= 10; v = Math.floor(v / 10)) width++
      for (let i = at + width - 1, v = value; i >= at; i--, v = Math.floor(v / 10)) buf[i] = 0x30 + (v % 10)
      at += width
    }
    buf[at] = 0x0d
    buf[at + 1] = 0x0a
    this.#at = at + 2
  }

  #ascii(text: string): void {
    this.#reserve(text.length)
    this.#at += this.#buf.write(text, this.#at, 'latin1')
  }

  #utf8(text: string): void {
    this.#reserve(Buffer.byteLength(text))
    this.#at += this.#buf.write(text, this.#at, 'utf8')
  }

  #bytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length)
    this.#buf.set(bytes, this.#at)
    this.#at += bytes.length
  }
}
