/**
 * The RESP2 request parser: turns the bytes of one connection into commands, the way a Redis server reads them —
 * multibulk requests (`*<n>\r\n$<len>\r\n<bytes>\r\n…`, what every client library sends) and inline commands
 * (`PING\r\n`, what a person types into `nc`). Fed chunk by chunk, so pipelined requests, requests split anywhere and
 * several requests in one chunk all parse the same.
 *
 * Hot path: every RESP request passes here. A chunk of pipelined commands is parsed in one pass without allocating
 * per command: `parse` leaves each argument as a start and end offset into the received chunk (`chunk`, `starts`,
 * `ends`), and the caller materialises only what it keeps (a key as a string, a value copied once). `next` builds the
 * arguments as Buffer views for the commands that need them. Lengths are read from the bytes without building
 * strings, and a large bulk that arrives in many chunks is joined once, when complete.
 * Gotchas: offsets and views point into the received chunk; whoever keeps an argument past the current command (a
 * value to store) must copy it.
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
  /**
   * Most arguments in one request. @default 1_048_576 — Redis 7 takes more from an authenticated client, but each
   * argument here costs an offset pair and, when read, a view, so the count is bounded as the bytes are.
   */
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
/** Offsets kept at first; enough for every command but MSET/MGET/DEL of many keys, which grow them. */
const INITIAL_ARGUMENTS = 16

/**
 * Incremental parser for one connection. `push` bytes, then call `parse` (offsets) or `next` (Buffers) until it
 * reports no complete command.
 */
export class RespParser {
  readonly #limits: Required<RespLimits>
  #buf: Buffer = EMPTY
  #pos = 0
  /** Chunks received while a known number of bytes is still missing; joined once enough are here. */
  #waiting: Buffer[] = []
  #waitingBytes = 0
  /** Bytes needed past #pos before parsing can make progress (0: unknown, try whenever something arrives). */
  #need = 0
  // A multibulk request in progress: #argn of its #argc arguments parsed, as offsets into #buf, after the views in
  // #held (arguments parsed before the buffer was replaced while the request was incomplete).
  #argc = -1
  #argn = 0
  #starts = new Int32Array(INITIAL_ARGUMENTS)
  #ends = new Int32Array(INITIAL_ARGUMENTS)
  #held: Buffer[] = []
  #requestBytes = 0
  /** The arguments of the last parsed command as Buffers, when it did not come whole from one chunk (or inline). */
  #list: Buffer[] | undefined = undefined

  constructor(limits: RespLimits = {}) {
    this.#limits = { ...DEFAULT_RESP_LIMITS, ...limits }
  }

  /** Appends received bytes. The chunk must not be changed afterwards (arguments point into it). */
  push(chunk: Buffer): void {
    if (this.#pos >= this.#buf.length && this.#waitingBytes === 0 && this.#argn === 0) {
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
   * The bytes the last parsed command's arguments point into (with `starts` and `ends`); valid until the next
   * `push`. When `list` is set, the arguments are there instead.
   */
  get chunk(): Buffer {
    return this.#buf
  }

  /** Where each argument of the last parsed command starts in `chunk` (index 0 is the command name). */
  get starts(): Int32Array {
    return this.#starts
  }

  /** Where each argument of the last parsed command ends in `chunk`, exclusive. */
  get ends(): Int32Array {
    return this.#ends
  }

  /**
   * The last parsed command's arguments as Buffers, set only when it did not arrive whole in one chunk or was an
   * inline command; `starts` and `ends` are then not its arguments.
   */
  get list(): Buffer[] | undefined {
    return this.#list
  }

  /** The last parsed command's `count` arguments as Buffers (views into the received bytes). */
  args(count: number): Buffer[] {
    if (this.#list !== undefined) return this.#list
    const out = new Array<Buffer>(count)
    for (let i = 0; i < count; i++) out[i] = this.#buf.subarray(this.#starts[i], this.#ends[i])
    return out
  }

  /**
   * The next complete command as Buffer views, or undefined until more bytes arrive. An empty inline line or `*0` is
   * skipped, as Redis skips it.
   * @throws RespProtocolError (COHORT_ERR_RESP_PROTOCOL) for bytes that are not RESP
   * @throws RequestTooLargeError (COHORT_ERR_REQUEST_TOO_LARGE) for a request past the limits
   */
  next(): Buffer[] | undefined {
    const count = this.parse()
    return count === 0 ? undefined : this.args(count)
  }

  /**
   * Parses the next complete command and returns its number of arguments (the name included), or 0 until more bytes
   * arrive. Its arguments are then `list`, or else the ranges `starts[i]`..`ends[i]` of `chunk`.
   * @throws RespProtocolError (COHORT_ERR_RESP_PROTOCOL) for bytes that are not RESP
   * @throws RequestTooLargeError (COHORT_ERR_REQUEST_TOO_LARGE) for a request past the limits
   */
  parse(): number {
    this.#list = undefined
    if (this.#waitingBytes > 0) {
      if (this.#buf.length - this.#pos + this.#waitingBytes < this.#need) return 0
      // The arguments parsed so far point into the buffer about to be replaced: keep them as views of it.
      for (let i = 0; i < this.#argn; i++) this.#held.push(this.#buf.subarray(this.#starts[i], this.#ends[i]))
      this.#argn = 0
      this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), ...this.#waiting])
      this.#pos = 0
      this.#waiting = []
      this.#waitingBytes = 0
    }
    this.#need = 0
    const buf = this.#buf
    for (;;) {
      if (this.#argc < 0) {
        if (this.#pos >= buf.length) return 0
        if (buf[this.#pos] !== 0x2a /* '*' */) {
          const inline = this.#inline()
          if (inline === undefined) return 0
          if (inline.length === 0) continue
          this.#list = inline
          return inline.length
        }
        const count = this.#lengthLine(this.#pos + 1, 'multibulk')
        if (count === undefined) return 0
        if (count > this.#limits.maxArguments) throw new RespProtocolError('invalid multibulk length')
        if (count <= 0) continue
        this.#argc = count
        this.#argn = 0
        this.#requestBytes = this.#lineBytes
        if (count > this.#starts.length) this.#grow(count)
      }
      const argc = this.#argc
      while (this.#held.length + this.#argn < argc) {
        if (this.#pos >= buf.length) return 0
        if (buf[this.#pos] !== 0x24 /* '$' */) {
          throw new RespProtocolError(`expected '$', got '${String.fromCharCode(buf[this.#pos] ?? 0)}'`)
        }
        const start = this.#pos
        const length = this.#lengthLine(this.#pos + 1, 'bulk')
        if (length === undefined) return 0
        if (length < 0) throw new RespProtocolError('invalid bulk length')
        const lineBytes = this.#lineBytes
        const bytes = this.#requestBytes + lineBytes + length + 2
        if (bytes > this.#limits.maxRequestBytes) throw new RequestTooLargeError('request', this.#limits.maxRequestBytes)
        const dataStart = this.#pos
        if (dataStart + length + 2 > buf.length) {
          // Wait for the whole bulk, counted from its length line, which is read again once the bytes are here.
          this.#pos = start
          this.#need = lineBytes + length + 2
          return 0
        }
        if (buf[dataStart + length] !== CR || buf[dataStart + length + 1] !== LF) {
          throw new RespProtocolError('expected CRLF after a bulk string')
        }
        this.#starts[this.#argn] = dataStart
        this.#ends[this.#argn] = dataStart + length
        this.#argn++
        this.#requestBytes = bytes
        this.#pos = dataStart + length + 2
      }
      this.#argc = -1
      this.#requestBytes = 0
      if (this.#held.length > 0) {
        const list = this.#held
        for (let i = 0; i < this.#argn; i++) list.push(buf.subarray(this.#starts[i], this.#ends[i]))
        this.#held = []
        this.#list = list
      }
      this.#argn = 0
      return argc
    }
  }

  #grow(count: number): void {
    const size = Math.max(count, this.#starts.length * 2)
    this.#starts = new Int32Array(size)
    this.#ends = new Int32Array(size)
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
    const length = (end < 0 ? this.#buf.length : end) - this.#pos
    // An inline command is a request too: `maxRequestBytes` bounds it as it bounds a multibulk one, when it is lower.
    if (length > this.#limits.maxRequestBytes && this.#limits.maxRequestBytes < this.#limits.maxInlineBytes) {
      throw new RequestTooLargeError('request', this.#limits.maxRequestBytes)
    }
    if (length > this.#limits.maxInlineBytes) throw new RespProtocolError('too big inline request')
    if (end < 0) return undefined
    const lineEnd = end > this.#pos && this.#buf[end - 1] === CR ? end - 1 : end
    const line = this.#buf.subarray(this.#pos, lineEnd)
    this.#pos = end + 1
    return splitInline(line)
  }
}

/**
 * Splits an inline line into arguments as Redis's `sdssplitargs` does: white space separates them; inside "double"
 * quotes the escapes \n \r \t \b \a \xHH and \<any> (that character) apply, inside 'single' quotes only \';
 * a quoted part may follow unquoted characters in one argument (a"b c" is `ab c`), but a closing quote must be
 * followed by white space or the end of the line, else the request is unbalanced (a protocol error, as in Redis).
 */
function splitInline(line: Buffer): Buffer[] {
  const args: Buffer[] = []
  let i = 0
  while (i < line.length) {
    while (i < line.length && isSpace(line[i]!)) i++
    if (i === line.length) break
    const arg: number[] = []
    let quote = 0
    for (;;) {
      if (i === line.length) {
        if (quote !== 0) throw new RespProtocolError('unbalanced quotes in request')
        break
      }
      const c = line[i]!
      if (quote !== 0 && c === quote) {
        // A closing quote: the argument ends here, and white space (or the line's end) must follow.
        if (i + 1 < line.length && !isSpace(line[i + 1]!)) throw new RespProtocolError('unbalanced quotes in request')
        quote = 0
        i++
        break
      }
      if (quote === 0x22 && c === 0x5c && i + 3 < line.length && line[i + 1] === 0x78 && isHex(line[i + 2]!) && isHex(line[i + 3]!)) {
        arg.push((hexValue(line[i + 2]!) << 4) | hexValue(line[i + 3]!))
        i += 4
      } else if (quote === 0x22 && c === 0x5c && i + 1 < line.length) {
        const e = line[i + 1]!
        arg.push(e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e === 0x62 ? 0x08 : e === 0x61 ? 0x07 : e)
        i += 2
      } else if (quote === 0x27 && c === 0x5c && line[i + 1] === 0x27) {
        arg.push(0x27)
        i += 2
      } else if (quote === 0 && isSpace(c)) {
        break
      } else if (quote === 0 && (c === 0x22 || c === 0x27)) {
        quote = c
        i++
      } else {
        arg.push(c)
        i++
      }
    }
    args.push(Buffer.from(arg))
  }
  return args
}

/** White space as C's isspace: space, \t, \n, \v, \f, \r. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d)
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10
}
