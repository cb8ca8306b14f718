/**
 * The server commands: INFO (sections as Redis lays them out, plus the replication peers), CONFIG GET (the few
 * parameters tools read on connect, such as redis-benchmark's `save` and `appendonly`), CONFIG RESETSTAT, and TIME.
 * COMMAND lives with the command table it describes.
 */
import { Buffer } from 'node:buffer'
import type { CommandSession } from '../command-session.ts'
import type { CommandSpec } from '../command-table.ts'
import { infoReport } from '../info-report.ts'
import { matchesGlob } from '../glob-pattern.ts'
import { optionWord } from '../command-arguments.ts'

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
]
