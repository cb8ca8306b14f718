/**
 * The commands over the whole keyspace: KEYS and SCAN (with MATCH, COUNT and TYPE), DBSIZE, RANDOMKEY, FLUSHDB and
 * FLUSHALL. They read the local replica, which holds every key of the cluster.
 *
 * Gotchas: SCAN walks the map's key ranges by cursor (`ReplicatedMap.scan`), keeping nothing between calls, so a key
 * present for the whole scan is returned exactly once and keys added or deleted meanwhile may or may not be, as in
 * Redis; a cursor is good on any connection, and on any node (the ranges follow from the keys' hashes). A snapshot of
 * the key list per scanning connection held every key's reference once per connection, until the scan ended.
 * FLUSHDB deletes every key this node holds, one replicated delete each.
 */
import type { Buffer } from 'node:buffer'
import type { CommandSpec } from '../command-table.ts'
import { NO_KEYS } from '../key-positions.ts'
import type { CommandSession } from '../command-session.ts'
import { NOT_AN_INTEGER, SYNTAX_ERROR, optionWord, parseInteger } from '../command-arguments.ts'
import { literalPrefix, matchesGlob } from '../glob-pattern.ts'
import { keyFromBytes } from '../key-codec.ts'
import type { RespWriter } from '../resp-writer.ts'

function keys(args: Buffer[], s: CommandSession, out: RespWriter): void {
  const pattern = keyFromBytes(args[1]!)
  const candidates = s.map.keys(literalPrefix(pattern))
  const all = pattern === '*'
  const found = all ? candidates : candidates.filter((key) => matchesGlob(pattern, key))
  out.arrayHeader(found.length)
  for (const key of found) out.bulkLatin1(key)
}

function scan(args: Buffer[], s: CommandSession, out: RespWriter): void {
  const cursor = parseInteger(args[1]!)
  if (cursor === undefined || cursor < 0) {
    if (!/^-?[0-9]+$/.test(args[1]!.toString('latin1'))) return out.error('ERR invalid cursor')
    // Redis takes any integer as a cursor (read unsigned); one that is no position of this walk ends it.
    out.arrayHeader(2)
    out.bulkText('0')
    return out.arrayHeader(0)
  }
  let pattern: string | undefined
  let count = 10
  let type: string | undefined
  for (let i = 2; i < args.length; i += 2) {
    const word = optionWord(args[i]!)
    const value = args[i + 1]
    if (value === undefined) return out.error(SYNTAX_ERROR)
    if (word === 'MATCH') pattern = keyFromBytes(value)
    else if (word === 'COUNT') {
      const n = parseInteger(value)
      if (n === undefined) return out.error(NOT_AN_INTEGER)
      if (n < 1) return out.error(SYNTAX_ERROR)
      count = n
    } else if (word === 'TYPE') type = value.toString('latin1').toLowerCase()
    else return out.error(SYNTAX_ERROR)
  }
  const prefix = pattern === undefined ? '' : literalPrefix(pattern)
  const step = s.map.scan(cursor, { count, prefix })
  const glob = pattern
  const found = type !== undefined && type !== 'string' ? [] : glob === undefined ? step.keys : step.keys.filter((key) => matchesGlob(glob, key))
  const next = step.cursor
  out.arrayHeader(2)
  out.bulkText(String(next))
  out.arrayHeader(found.length)
  for (const key of found) out.bulkLatin1(key)
}

function flush(args: Buffer[], s: CommandSession, out: RespWriter): void {
  const mode = args[1] === undefined ? 'SYNC' : optionWord(args[1])
  if (args.length > 2 || (mode !== 'SYNC' && mode !== 'ASYNC')) return out.error(SYNTAX_ERROR)
  for (const key of s.map.keys()) s.map.delete(key)
  out.ok()
}

export const KEYSPACE_COMMANDS: readonly CommandSpec[] = [
  { name: 'keys', arity: 2, write: false, keys: NO_KEYS, run: keys },
  { name: 'scan', arity: -2, write: false, keys: NO_KEYS, run: scan },
  { name: 'dbsize', arity: 1, write: false, run: (_args, s, out) => out.integer(s.map.size) },
  {
    name: 'randomkey',
    arity: 1,
    write: false,
    run(_args, s, out) {
      // Not a sampling API: any live key will do. The walk starts at a key range picked from the clock (the map has
      // 65,536; another number would only move the start) and goes on to the first key, from the start if need be,
      // so a call costs a few ranges where a list of every key cost the whole map.
      const start = (Math.floor(s.now()) * 40_503) & 0xffff
      let step = s.map.scan(start, { count: 1 })
      if (step.keys.length === 0) step = s.map.scan(0, { count: 1 })
      const key = step.keys[0]
      if (key === undefined) out.bulk(undefined)
      else out.bulkLatin1(key)
    },
  },
  { name: 'flushdb', arity: -1, write: true, run: flush },
  { name: 'flushall', arity: -1, write: true, run: flush },
]
