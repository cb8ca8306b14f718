/**
 * The server commands: INFO (sections as Redis lays them out, plus the replication peers), CONFIG GET (the few
 * parameters tools read on connect, such as redis-benchmark's `save` and `appendonly`), CONFIG RESETSTAT, TIME, and
 * MEMORY USAGE (what `redis-cli --memkeys` and key browsers ask of each key).
 * COMMAND lives with the command table it describes.
 */
import { Buffer } from 'node:buffer'
import type { CommandSession } from '../command-session.ts'
import type { CommandSpec } from '../command-table.ts'
import { NO_KEYS } from '../key-positions.ts'
import { infoReport } from '../info-report.ts'
import { matchesGlob } from '../glob-pattern.ts'
import { NOT_AN_INTEGER, SYNTAX_ERROR, optionWord, parseInteger } from '../command-arguments.ts'
import { ENTRY_BYTES } from '../cache-map.ts'
import { keyFromBytes } from '../key-codec.ts'
import type { RespWriter } from '../resp-writer.ts'

/** What CONFIG GET reports: no persistence, the memory limit (`CACHE_MAX_MEMORY`, 0: none), one database. */
function configOf(s: CommandSession): ReadonlyArray<readonly [string, string]> {
  return [
    ['save', ''],
    ['appendonly', 'no'],
    ['maxmemory', String(s.facts.memoryLimit?.maxBytes ?? 0)],
    ['maxmemory-policy', 'noeviction'],
    ['databases', '1'],
  ]
}

/**
 * MEMORY USAGE key [SAMPLES n]: the bytes the key takes in this node's replica, as `used_memory_dataset` and
 * `CACHE_MAX_MEMORY` count them (its key, its value and `ENTRY_BYTES`), or nil for a missing key. SAMPLES is checked
 * as Redis checks it and otherwise ignored: a string's size needs no sampling. The other subcommands are not offered.
 */
function memory(args: Buffer[], s: CommandSession, out: RespWriter): void {
  if (optionWord(args[1]!) !== 'USAGE') return out.error(`ERR unknown subcommand '${args[1]!.toString('latin1')}'. Try MEMORY HELP.`)
  if (args.length < 3) return out.error("ERR wrong number of arguments for 'memory|usage' command")
  for (let i = 3; i < args.length; i++) {
    if (optionWord(args[i]!) !== 'SAMPLES' || args[i + 1] === undefined) return out.error(SYNTAX_ERROR)
    const samples = parseInteger(args[++i]!)
    if (samples === undefined) return out.error(NOT_AN_INTEGER)
    if (samples < 0) return out.error(SYNTAX_ERROR)
  }
  const key = keyFromBytes(args[2]!)
  const value = s.map.get(key)
  if (value === undefined) return out.bulk(undefined)
  out.integer(key.length + value.length + ENTRY_BYTES)
}

export const SERVER_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'info',
    arity: -1,
    write: false,
    loading: true,
    run: (args, s, out) => out.bulkText(infoReport(s, args.slice(1).map((a) => a.toString('latin1').toLowerCase()))),
  },
  {
    name: 'config',
    arity: -2,
    write: false,
    keys: NO_KEYS,
    loading: true,
    run(args, s, out) {
      const sub = optionWord(args[1]!)
      if (sub === 'GET') {
        if (args.length < 3) return out.error("ERR wrong number of arguments for 'config|get' command")
        const patterns = args.slice(2).map((a) => a.toString('latin1').toLowerCase())
        const found = configOf(s).filter(([name]) => patterns.some((p) => matchesGlob(p, name)))
        out.arrayHeader(found.length * 2)
        for (const [name, value] of found) {
          out.bulkText(name)
          out.bulkText(value)
        }
        return
      }
      if (sub === 'RESETSTAT') return out.ok()
      if (sub === 'SET') return out.error('ERR CONFIG SET is not supported: the cache is configured through its environment')
      out.error(`ERR unknown subcommand '${args[1]!.toString('latin1')}'. Try CONFIG HELP.`)
    },
  },
  {
    name: 'time',
    arity: 1,
    write: false,
    loading: true,
    run(_args, s, out) {
      const ms = s.now()
      out.arrayHeader(2)
      out.bulk(Buffer.from(String(Math.floor(ms / 1000))))
      out.bulk(Buffer.from(String(Math.floor((ms % 1000) * 1000))))
    },
  },
  { name: 'memory', arity: -2, write: false, keys: NO_KEYS, run: memory },
]
