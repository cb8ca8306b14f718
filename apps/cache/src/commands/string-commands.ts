/**
 * The string commands: GET, GETEX (EX/PX/EXAT/PXAT/PERSIST), GETRANGE (and its old name SUBSTR), SET
 * (EX/PX/EXAT/PXAT/NX/XX/KEEPTTL/GET), SETNX, SETEX, PSETEX, GETSET, GETDEL, MGET, MSET, MSETNX, STRLEN, DEL, UNLINK,
 * EXISTS, TOUCH, TYPE. Every value is a string of bytes, so WRONGTYPE never arises.
 * Reads answer from the local replica; writes apply locally at once (read-your-writes on this node) and replicate.
 * A value is handed to the map as the parser's view into the connection's receive buffer: the map copies bytes as it
 * stores them, so no value keeps that buffer alive.
 *
 * Gotchas: NX and XX test the local replica. Two nodes may both grant `SET k v NX` for the same key in the same
 * moment; the key then converges to one of the two values (last writer wins), so NX is not a cluster-wide lock.
 */
import { Buffer } from 'node:buffer'
import type { CommandSpec } from '../command-table.ts'
import { ALL_KEYS, KEYS_AND_VALUES } from '../key-positions.ts'
import type { CommandSession } from '../command-session.ts'
import { MAX_TTL_MS, NOT_AN_INTEGER, SYNTAX_ERROR, optionWord, parseInteger } from '../command-arguments.ts'
import { keyFromBytes } from '../key-codec.ts'
import type { RespWriter } from '../resp-writer.ts'

/** The TTL for a SET-like expiry option, or an error text. */
export function expiryToTtlMs(word: string, amount: number, now: number, command: string): number | string {
  if (amount <= 0) return `ERR invalid expire time in '${command}' command`
  let ttlMs: number
  switch (word) {
    case 'EX':
      ttlMs = amount * 1000
      break
    case 'PX':
      ttlMs = amount
      break
    case 'EXAT':
      ttlMs = amount * 1000 - now
      break
    default:
      ttlMs = amount - now
  }
  if (!Number.isSafeInteger(ttlMs) || ttlMs > MAX_TTL_MS) return `ERR invalid expire time in '${command}' command`
  return ttlMs
}

/** A SET or GETEX expiry option, as given: which unit, and the argument after it (read once the options are checked). */
interface ExpiryOption {
  readonly word: 'EX' | 'PX' | 'EXAT' | 'PXAT'
  readonly amount: Buffer
}

/**
 * The option word `word` at `args[i]` as an expiry option, with its argument `args[i + 1]`; a syntax error (as a
 * string) when it has none or `given` is another unit. Redis takes the same unit twice (the last one counts) but not
 * two units, and reads the numbers only once every option is known, so `EX abc PX 1` is a syntax error, not a number's.
 */
function expiryOption(word: ExpiryOption['word'], args: Buffer[], i: number, given: ExpiryOption | undefined): ExpiryOption | string {
  const amount = args[i + 1]
  if (amount === undefined || (given !== undefined && given.word !== word)) return SYNTAX_ERROR
  return { word, amount }
}

/** The TTL an expiry option asks for, or the error text: the integer's, or the expire time's. */
function ttlOf(option: ExpiryOption, now: number, command: string): number | string {
  const amount = parseInteger(option.amount)
  if (amount === undefined) return NOT_AN_INTEGER
  return expiryToTtlMs(option.word, amount, now, command)
}

/** Writes a value with an optional TTL; a TTL already past deletes the key, as Redis does for EXAT in the past. */
function store(session: CommandSession, key: string, value: Uint8Array, ttlMs: number | undefined): void {
  if (ttlMs === undefined) return session.map.set(key, value)
  if (ttlMs <= 0) {
    session.map.delete(key)
    return
  }
  session.map.set(key, value, { ttlMs })
}

function set(args: Buffer[], s: CommandSession, out: RespWriter): void {
  const key = keyFromBytes(args[1]!)
  let expiry: ExpiryOption | undefined
  let nx = false
  let xx = false
  let keepTtl = false
  let get = false
  for (let i = 3; i < args.length; i++) {
    const word = optionWord(args[i]!)
    switch (word) {
      case 'NX':
        if (xx) return out.error(SYNTAX_ERROR)
        nx = true
        break
      case 'XX':
        if (nx) return out.error(SYNTAX_ERROR)
        xx = true
        break
      case 'GET':
        get = true
        break
      case 'KEEPTTL':
        if (expiry !== undefined) return out.error(SYNTAX_ERROR)
        keepTtl = true
        break
      case 'EX':
      case 'PX':
      case 'EXAT':
      case 'PXAT': {
        const option = keepTtl ? SYNTAX_ERROR : expiryOption(word, args, i++, expiry)
        if (typeof option === 'string') return out.error(option)
        expiry = option
        break
      }
      default:
        return out.error(SYNTAX_ERROR)
    }
  }
  let ttlMs: number | undefined
  if (expiry !== undefined) {
    const ttl = ttlOf(expiry, s.now(), 'set')
    if (typeof ttl === 'string') return out.error(ttl)
    ttlMs = ttl
  }
  const old = nx || xx || get || keepTtl ? s.map.get(key) : undefined
  if ((nx && old !== undefined) || (xx && old === undefined)) return get ? out.bulk(old) : out.bulk(undefined)
  if (keepTtl && old !== undefined) {
    const at = s.map.expiresAt(key)
    if (at !== undefined) ttlMs = Math.max(1, at - s.now())
  }
  store(s, key, args[2]!, ttlMs)
  if (get) out.bulk(old)
  else out.ok()
}

/**
 * GETEX: the value, as GET; with EX, PX, EXAT or PXAT it also sets the key's TTL (a time already past deletes the key,
 * as Redis does), and with PERSIST removes it. A TTL belongs to the value in the replicated map, so a changed one
 * writes the key again and replicates, as EXPIRE does; a GETEX with no option, or with PERSIST for a key without a TTL,
 * writes nothing. As in Redis 7, a missing key gets nil whatever its options' numbers: they are read only for a key that exists.
 */
function getex(args: Buffer[], s: CommandSession, out: RespWriter): void {
  let expiry: ExpiryOption | undefined
  let persist = false
  for (let i = 2; i < args.length; i++) {
    const word = optionWord(args[i]!)
    switch (word) {
      case 'PERSIST':
        if (expiry !== undefined) return out.error(SYNTAX_ERROR)
        persist = true
        break
      case 'EX':
      case 'PX':
      case 'EXAT':
      case 'PXAT': {
        const option = persist ? SYNTAX_ERROR : expiryOption(word, args, i++, expiry)
        if (typeof option === 'string') return out.error(option)
        expiry = option
        break
      }
      default:
        return out.error(SYNTAX_ERROR)
    }
  }
  const key = keyFromBytes(args[1]!)
  const value = s.map.get(key)
  if (value === undefined) return out.bulk(undefined)
  const ttlMs = expiry === undefined ? undefined : ttlOf(expiry, s.now(), 'getex')
  if (typeof ttlMs === 'string') return out.error(ttlMs)
  if (ttlMs !== undefined) store(s, key, value, ttlMs)
  else if (persist && s.map.expiresAt(key) !== undefined) s.map.set(key, value)
  out.bulk(value)
}

const EMPTY = Buffer.alloc(0)

/**
 * GETRANGE (and SUBSTR, its older name, which Redis still answers): the bytes from `start` to `end`, both included, counted from the
 * end when negative, clamped to the value, as Redis 7 answers them; an empty string for a missing key or an empty
 * range, never nil.
 */
function getrange(args: Buffer[], s: CommandSession, out: RespWriter): void {
  let start = parseInteger(args[2]!)
  let end = parseInteger(args[3]!)
  if (start === undefined || end === undefined) return out.error(NOT_AN_INTEGER)
  const value = s.map.get(keyFromBytes(args[1]!))
  const length = value?.length ?? 0
  if (value === undefined || length === 0 || (start < 0 && end < 0 && start > end)) return out.bulk(EMPTY)
  if (start < 0) start = Math.max(0, length + start)
  if (end < 0) end = Math.max(0, length + end)
  end = Math.min(end, length - 1)
  out.bulk(start > end ? EMPTY : value.subarray(start, end + 1))
}

function setWithTtl(unit: 'EX' | 'PX', name: string) {
  return (args: Buffer[], s: CommandSession, out: RespWriter): void => {
    const amount = parseInteger(args[2]!)
    if (amount === undefined) return out.error(NOT_AN_INTEGER)
    const ttl = expiryToTtlMs(unit, amount, s.now(), name)
    if (typeof ttl === 'string') return out.error(ttl)
    store(s, keyFromBytes(args[1]!), args[3]!, ttl)
    out.ok()
  }
}

function del(args: Buffer[], s: CommandSession, out: RespWriter): void {
  let deleted = 0
  for (let i = 1; i < args.length; i++) if (s.map.delete(keyFromBytes(args[i]!))) deleted++
  out.integer(deleted)
}

function exists(args: Buffer[], s: CommandSession, out: RespWriter): void {
  let found = 0
  for (let i = 1; i < args.length; i++) if (s.map.has(keyFromBytes(args[i]!))) found++
  out.integer(found)
}

export const STRING_COMMANDS: readonly CommandSpec[] = [
  { name: 'get', arity: 2, write: false, run: (args, s, out) => out.bulk(s.map.get(keyFromBytes(args[1]!))) },
  { name: 'getex', arity: -2, write: true, run: getex },
  { name: 'getrange', arity: 4, write: false, run: getrange },
  { name: 'substr', arity: 4, write: false, run: getrange },
  { name: 'set', arity: -3, write: true, denyOom: true, run: set },
  {
    name: 'setnx',
    arity: 3,
    write: true,
    denyOom: true,
    run(args, s, out) {
      const key = keyFromBytes(args[1]!)
      if (s.map.has(key)) return out.integer(0)
      s.map.set(key, args[2]!)
      out.integer(1)
    },
  },
  { name: 'setex', arity: 4, write: true, denyOom: true, run: setWithTtl('EX', 'setex') },
  { name: 'psetex', arity: 4, write: true, denyOom: true, run: setWithTtl('PX', 'psetex') },
  {
    name: 'getset',
    arity: 3,
    write: true,
    denyOom: true,
    run(args, s, out) {
      const key = keyFromBytes(args[1]!)
      const old = s.map.get(key)
      s.map.set(key, args[2]!)
      out.bulk(old)
    },
  },
  {
    name: 'getdel',
    arity: 2,
    write: true,
    run(args, s, out) {
      const key = keyFromBytes(args[1]!)
      const old = s.map.get(key)
      if (old !== undefined) s.map.delete(key)
      out.bulk(old)
    },
  },
  {
    name: 'mget',
    arity: -2,
    write: false,
    keys: ALL_KEYS,
    run(args, s, out) {
      out.arrayHeader(args.length - 1)
      for (let i = 1; i < args.length; i++) out.bulk(s.map.get(keyFromBytes(args[i]!)))
    },
  },
  {
    name: 'mset',
    arity: -3,
    write: true,
    keys: KEYS_AND_VALUES,
    denyOom: true,
    run(args, s, out) {
      if (args.length % 2 !== 1) return out.error("ERR wrong number of arguments for 'mset' command")
      for (let i = 1; i < args.length; i += 2) s.map.set(keyFromBytes(args[i]!), args[i + 1]!)
      out.ok()
    },
  },
  {
    name: 'msetnx',
    arity: -3,
    write: true,
    keys: KEYS_AND_VALUES,
    denyOom: true,
    run(args, s, out) {
      if (args.length % 2 !== 1) return out.error("ERR wrong number of arguments for 'msetnx' command")
      for (let i = 1; i < args.length; i += 2) if (s.map.has(keyFromBytes(args[i]!))) return out.integer(0)
      for (let i = 1; i < args.length; i += 2) s.map.set(keyFromBytes(args[i]!), args[i + 1]!)
      out.integer(1)
    },
  },
  { name: 'strlen', arity: 2, write: false, run: (args, s, out) => out.integer(s.map.get(keyFromBytes(args[1]!))?.length ?? 0) },
  { name: 'del', arity: -2, write: true, keys: ALL_KEYS, run: del },
  { name: 'unlink', arity: -2, write: true, keys: ALL_KEYS, run: del },
  { name: 'exists', arity: -2, write: false, keys: ALL_KEYS, run: exists },
  { name: 'touch', arity: -2, write: false, keys: ALL_KEYS, run: exists },
  { name: 'type', arity: 2, write: false, run: (args, s, out) => out.simple(s.map.has(keyFromBytes(args[1]!)) ? 'string' : 'none') },
]
