/**
 * The RESP2 request parser: turns the bytes of one connection into commands (arrays of argument Buffers), the way a
 * Redis server reads them — multibulk requests (`*<n>\r\n$<len>\r\n<bytes>\r\n…`, what every client library sends) and
 * inline commands (`PING\r\n`, what a person types into `nc`). Fed chunk by chunk, so pipelined requests, requests
 * split anywhere and several requests in one chunk all parse the same.
 *
 * Hot path: every RESP request passes here. Lengths are read from the bytes without building strings, arguments are
 * views into the received chunk (no copy), and a large bulk that arrives in many chunks is joined once, when complete.
 * Gotchas: arguments are views; whoever keeps one past the current chunk (a value to store) must copy it.
 */
import { Buffer } from 'node:buffer'
import { RequestTooLargeError, RespProtocolError } from './errors.ts'

/** Limits of one request; a request past them closes its connection (and only it). */
export interface RespLimits {
  /**
   * Largest request, counting every argument's bytes and the protocol around them.
   * @default 16_777_216 (16 MiB) — far above any cache value a service should hold, far below Redis's 512 MiB
   * bulk limit, so one client cannot make a node buffer half a gigabyte before it is refused
   */
  maxRequestBytes?: number
  /** Longest inline command line. @default 65_536 — Redis's own PROTO_INLINE_MAX_SIZE */
  maxInlineBytes?: number
  /** Most arguments in one request. @default 1_048_576 — Redis's own multibulk limit */
  maxArguments?: number
}

/** The defaults of RespLimits. */
export const DEFAULT_RESP_LIMITS: Readonly<Required<RespLimits>> = Object.freeze({
  maxRequestBytes: 16 * 1024 * 1024,
  maxInlineBytes: 64 * 1024,
  maxArguments: 1024 * 1024,
})

const CR = 0x0d
const LF = 0x0a
const EMPTY = Buffer.alloc(0)
/** The longest `*<n>` or `$<n>` line worth reading: 20 digits and a sign. */
const MAX_LENGTH_LINE = 32

/** Incremental parser for one connection. `push` bytes, then call `next` until it returns undefined. */
export class RespParser {
  readonly #limits: Required<RespLimits>
  #buf: Buffer = EMPTY
  #pos = 0
  /** Chunks received while a known number of bytes is still missing; joined once enough are here. */
  #waiting: Buffer[] = []
  #waitingBytes = 0
  /** Bytes needed past #pos before parsing can make progress (0: unknown, try whenever something arrives). */
  #need = 0
  // A multibulk request in progress.
  #argc = -1
  #args: Buffer[] = []
  #requestBytes = 0

  constructor(limits: RespLimits = {}) {
    this.#limits = { ...DEFAULT_RESP_LIMITS, ...limits }
  }

  /** Appends received bytes. The chunk must not be changed afterwards (arguments are views into it). */
  push(chunk: Buffer): void {
    if (this.#pos >= this.#buf.length && this.#waitingBytes === 0) {
      this.#buf = chunk
      this.#pos = 0
      return
    }
    this.#waiting.push(chunk)
    this.#waitingBytes += chunk.length
  }

  /** Bytes received and not yet parsed into a complete command. */
  get bufferedBytes(): number {
    return this.#buf.length - this.#pos + this.#waitingBytes
  }

  /**
   * The next complete command, or undefined until more bytes arrive. An empty inline line or `*0` is skipped, as
   * Redis skips it.
   * @throws RespProtocolError (COHORT_ERR_RESP_PROTOCOL) for bytes that are not RESP
   * @throws RequestTooLargeError (COHORT_ERR_REQUEST_TOO_LARGE) for a request past the limits
   */
  next(): Buffer[] | undefined {
    if (this.#waitingBytes > 0) {
      if (this.#buf.length - this.#pos + this.#waitingBytes < this.#need) return undefined
      this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), ...this.#waiting])
      this.#pos = 0
      this.#waiting = []
      this.#waitingBytes = 0
    }
    this.#need = 0
    for (;;) {
      if (this.#argc < 0) {
        if (this.#pos >= this.#buf.length) return undefined
        if (this.#buf[this.#pos] !== 0x2a /* '*' */) {
          const inline = this.#inline()
          if (inline === undefined) return undefined
          if (inline.length === 0) continue
          return inline
        }
        const count = this.#lengthLine(this.#pos + 1, 'multibulk')
        if (count === undefined) return undefined
        if (count > this.#limits.maxArguments) throw new RespProtocolError('invalid multibulk length')
        if (count <= 0) continue
        this.#argc = count
        this.#args = []
        this.#requestBytes = this.#lineBytes
      }
      while (this.#args.length < this.#argc) {
        if (this.#pos >= this.#buf.length) return undefined
        if (this.#buf[this.#pos] !== 0x24 /* '$' */) {
          throw new RespProtocolError(`expected '$', got '${String.fromCharCode(this.#buf[this.#pos] ?? 0)}'`)
        }
        const start = this.#pos
        const length = this.#lengthLine(this.#pos + 1, 'bulk')
        if (length === undefined) return undefined
        if (length < 0) throw new RespProtocolError('invalid bulk length')
        const lineBytes = this.#lineBytes
        const bytes = this.#requestBytes + lineBytes + length + 2
        if (bytes > this.#limits.maxRequestBytes) throw new RequestTooLargeError('request', this.#limits.maxRequestBytes)
        const dataStart = this.#pos
        if (dataStart + length + 2 > this.#buf.length) {
          // Wait for the whole bulk, counted from its length line, which is read again once the bytes are here.
          this.#pos = start
          this.#need = lineBytes + length + 2
          return undefined
        }
        if (this.#buf[dataStart + length] !== CR || this.#buf[dataStart + length + 1] !== LF) {
          throw new RespProtocolError('expected CRLF after a bulk string')
        }
        this.#args.push(this.#buf.subarray(dataStart, dataStart + length))
        this.#requestBytes = bytes
        this.#pos = dataStart + length + 2
      }
      const command = this.#args
      this.#argc = -1
      this.#args = []
      this.#requestBytes = 0
      return command
    }
  }

  /** Length of the last line read by #lengthLine, from its type byte to past its CRLF. */
  #lineBytes = 0

  /** Reads `<digits>\r\n` at `at`; undefined while incomplete. Advances #pos past the line. */
  #lengthLine(at: number, what: 'multibulk' | 'bulk'): number | undefined {
    const buf = this.#buf
    let i = at
    let negative = false
    if (buf[i] === 0x2d /* '-' */) {
      negative = true
      i++
    }
    let value = 0
    let digits = 0
    for (; i < buf.length; i++) {
      const c = buf[i]!
      if (c >= 0x30 && c <= 0x39) {
        value = value * 10 + (c - 0x30)
        digits++
        if (digits > 18) throw new RespProtocolError(`invalid ${what} length`)
        continue
      }
      if (c !== CR) throw new RespProtocolError(`invalid ${what} length`)
      break
    }
    if (i + 1 >= buf.length) {
      if (i - this.#pos > MAX_LENGTH_LINE) throw new RespProtocolError(`invalid ${what} length`)
      return undefined
    }
    if (digits === 0 || buf[i + 1] !== LF) throw new RespProtocolError(`invalid ${what} length`)
    this.#lineBytes = i + 2 - this.#pos
    this.#pos = i + 2
    return negative ? -value : value
  }

  /** Reads an inline command line; undefined while incomplete. */
  #inline(): Buffer[] | undefined {
    const end = this.#buf.indexOf(LF, this.#pos)
    if (end < 0) {
      if (this.#buf.length - this.#pos > this.#limits.maxInlineBytes) throw new RespProtocolError('too big inline request')
      return undefined
    }
    if (end - this.#pos > this.#limits.maxInlineBytes) throw new RespProtocolError('too big inline request')
    const lineEnd = end > this.#pos && this.#buf[end - 1] === CR ? end - 1 : end
    const line = this.#buf.subarray(this.#pos, lineEnd)
    this.#pos = end + 1
    return splitInline(line)
  }
}

/** Splits an inline line at spaces and tabs; "double" or 'single' quotes keep spaces inside an argument. */
function splitInline(line: Buffer): Buffer[] {
  const args: Buffer[] = []
  let i = 0
  while (i < line.length) {
    const c = line[i]!
    if (c === 0x20 || c === 0x09) {
      i++
      continue
    }
    if (c === 0x22 || c === 0x27) {
      const close = line.indexOf(c, i + 1)
      if (close < 0) throw new RespProtocolError('unbalanced quotes in request')
      args.push(line.subarray(i + 1, close))
      i = close + 1
      continue
    }
    let j = i
    while (j < line.length && line[j] !== 0x20 && line[j] !== 0x09) j++
    args.push(line.subarray(i, j))
    i = j
  }
  return args
}
