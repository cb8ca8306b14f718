/**
 * The string commands: GET, SET (EX/PX/EXAT/PXAT/NX/XX/KEEPTTL/GET), SETNX, SETEX, PSETEX, GETSET, GETDEL, MGET, MSET,
 * MSETNX, STRLEN, DEL, UNLINK, EXISTS, TOUCH, TYPE. Every value is a string of bytes, so WRONGTYPE never arises.
 * Reads answer from the local replica; writes apply locally at once (read-your-writes on this node) and replicate.
 * A value is handed to the map as the parser's view into the connection's receive buffer: the map copies bytes as it
 * stores them, so no value keeps that buffer alive.
 *
 * Gotchas: NX and XX test the local replica. Two nodes may both grant `SET k v NX` for the same key in the same
 * moment; the key then converges to one of the two values (last writer wins), so NX is not a cluster-wide lock.
 */
import { Buffer } from 'node:buffer'
import type { CommandSpec } from '../command-table.ts'
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

/** Writes a value with an optional TTL; a TTL already past deletes the key, as Redis does for EXAT in the past. */
function store(session: CommandSession, key: string, value: Buffer, ttlMs: number | undefined): void {
  if (ttlMs === undefined) return session.map.set(key, value)
  if (ttlMs <= 0) {
    session.map.delete(key)
    return
  }
  session.map.set(key, value, { ttlMs })
}

function set(args: Buffer[], s: CommandSession, out: RespWriter): void {
  const key = keyFromBytes(args[1]!)
  let ttlMs: number | undefined
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
        if (ttlMs !== undefined) return out.error(SYNTAX_ERROR)
        keepTtl = true
        break
      case 'EX':
      case 'PX':
      case 'EXAT':
      case 'PXAT': {
        const arg = args[++i]
        if (arg === undefined || ttlMs !== undefined || keepTtl) return out.error(SYNTAX_ERROR)
        const amount = parseInteger(arg)
        if (amount === undefined) return out.error(NOT_AN_INTEGER)
        const ttl = expiryToTtlMs(word, amount, s.now(), 'set')
        if (typeof ttl === 'string') return out.error(ttl)
        ttlMs = ttl
        break
      }
      default:
        return out.error(SYNTAX_ERROR)
    }
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
    run(args, s, out) {
      out.arrayHeader(args.length - 1)
      for (let i = 1; i < args.length; i++) out.bulk(s.map.get(keyFromBytes(args[i]!)))
    },
  },
  {
    name: 'mset',
    arity: -3,
    write: true,
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
    denyOom: true,
    run(args, s, out) {
      if (args.length % 2 !== 1) return out.error("ERR wrong number of arguments for 'msetnx' command")
      for (let i = 1; i < args.length; i += 2) if (s.map.has(keyFromBytes(args[i]!))) return out.integer(0)
      for (let i = 1; i < args.length; i += 2) s.map.set(keyFromBytes(args[i]!), args[i + 1]!)
      out.integer(1)
    },
  },
  { name: 'strlen', arity: 2, write: false, run: (args, s, out) => out.integer(s.map.get(keyFromBytes(args[1]!))?.length ?? 0) },
  { name: 'del', arity: -2, write: true, run: del },
  { name: 'unlink', arity: -2, write: true, run: del },
  { name: 'exists', arity: -2, write: false, run: exists },
  { name: 'touch', arity: -2, write: false, run: exists },
  { name: 'type', arity: 2, write: false, run: (args, s, out) => out.simple(s.map.has(keyFromBytes(args[1]!)) ? 'string' : 'none') },
]
