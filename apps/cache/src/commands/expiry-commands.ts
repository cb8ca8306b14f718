/**
 * The expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX/XX/GT/LT), TTL, PTTL, EXPIRETIME, PEXPIRETIME,
 * PERSIST. A TTL belongs to the value in the replicated map, so changing it writes the key again (value and new TTL)
 * and replicates like any write; a key then expires on every node at the same clock time.
 *
 * Gotchas: expiry times are node clock times. Nodes whose clocks disagree expire a key at slightly different moments;
 * keep clocks synchronised (NTP) as for any TTL cache.
 */
import type { Buffer } from 'node:buffer'
import type { CommandSpec } from '../command-table.ts'
import type { CommandSession } from '../command-session.ts'
import { MAX_TTL_MS, NOT_AN_INTEGER, optionWord, parseInteger } from '../command-arguments.ts'
import { keyFromBytes } from '../key-codec.ts'
import type { RespWriter } from '../resp-writer.ts'

type ExpireUnit = 'EX' | 'PX' | 'EXAT' | 'PXAT'

function expire(unit: ExpireUnit, name: string) {
  return (args: Buffer[], s: CommandSession, out: RespWriter): void => {
    const amount = parseInteger(args[2]!)
    if (amount === undefined) return out.error(NOT_AN_INTEGER)
    let nx = false
    let xx = false
    let gt = false
    let lt = false
    for (let i = 3; i < args.length; i++) {
      const word = optionWord(args[i]!)
      if (word === 'NX') nx = true
      else if (word === 'XX') xx = true
      else if (word === 'GT') gt = true
      else if (word === 'LT') lt = true
      else return out.error(`ERR Unsupported option ${args[i]!.toString('latin1')}`)
    }
    if (nx && (xx || gt || lt)) return out.error('ERR NX and XX, GT or LT options at the same time are not compatible')
    if (gt && lt) return out.error('ERR GT and LT options at the same time are not compatible')
    const now = s.now()
    const at = unit === 'EX' ? now + amount * 1000 : unit === 'PX' ? now + amount : unit === 'EXAT' ? amount * 1000 : amount
    if (!Number.isSafeInteger(at) || at - now > MAX_TTL_MS) return out.error(`ERR invalid expire time in '${name}' command`)
    const key = keyFromBytes(args[1]!)
    const value = s.map.get(key)
    if (value === undefined) return out.integer(0)
    const current = s.map.expiresAt(key)
    // Redis treats "no TTL" as an infinite TTL when comparing with GT and LT.
    if (nx && current !== undefined) return out.integer(0)
    if (xx && current === undefined) return out.integer(0)
    if (gt && (current === undefined || at <= current)) return out.integer(0)
    if (lt && current !== undefined && at >= current) return out.integer(0)
    if (at <= now) s.map.delete(key)
    else s.map.set(key, value, { ttlMs: at - now })
    out.integer(1)
  }
}

/** TTL and PTTL: -2 for a missing key, -1 for a key without a TTL. */
function ttl(divisor: 1 | 1000) {
  return (args: Buffer[], s: CommandSession, out: RespWriter): void => {
    const key = keyFromBytes(args[1]!)
    if (!s.map.has(key)) return out.integer(-2)
    const at = s.map.expiresAt(key)
    if (at === undefined) return out.integer(-1)
    const remaining = Math.max(0, at - s.now())
    // Redis rounds the seconds of TTL to the nearest second.
    out.integer(divisor === 1 ? remaining : Math.floor((remaining + 500) / 1000))
  }
}

function expireTime(divisor: 1 | 1000) {
  return (args: Buffer[], s: CommandSession, out: RespWriter): void => {
    const key = keyFromBytes(args[1]!)
    if (!s.map.has(key)) return out.integer(-2)
    const at = s.map.expiresAt(key)
    out.integer(at === undefined ? -1 : Math.floor(at / divisor))
  }
}

export const EXPIRY_COMMANDS: readonly CommandSpec[] = [
  { name: 'expire', arity: -3, write: true, run: expire('EX', 'expire') },
  { name: 'pexpire', arity: -3, write: true, run: expire('PX', 'pexpire') },
  { name: 'expireat', arity: -3, write: true, run: expire('EXAT', 'expireat') },
  { name: 'pexpireat', arity: -3, write: true, run: expire('PXAT', 'pexpireat') },
  { name: 'ttl', arity: 2, write: false, run: ttl(1000) },
  { name: 'pttl', arity: 2, write: false, run: ttl(1) },
  { name: 'expiretime', arity: 2, write: false, run: expireTime(1000) },
  { name: 'pexpiretime', arity: 2, write: false, run: expireTime(1) },
  {
    name: 'persist',
    arity: 2,
    write: true,
    run(args, s, out) {
      const key = keyFromBytes(args[1]!)
      const value = s.map.get(key)
      if (value === undefined || s.map.expiresAt(key) === undefined) return out.integer(0)
      s.map.set(key, value)
      out.integer(1)
    },
  },
]
