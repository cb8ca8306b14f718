/**
 * `cohort demo` (and `pnpm demo`): with no flag, the local cluster of the real apps — three chat nodes and three
 * cache nodes as separate processes — running until Ctrl-C; with `--narrate`, the narrated tour of the runtime that
 * ends by itself.
 */
import { Command } from 'commander'
import { runLocalClusterDemo } from '../local-cluster-demo.ts'
import { runNarratedTour } from '../narrated-tour.ts'
import type { ProgramIO } from '../program-io.ts'
import { millisecondsFlag } from './milliseconds-flag.ts'

export function demoCommand(io: ProgramIO): Command {
  return new Command('demo')
    .description('run three chat and three cache nodes on this machine until Ctrl-C (--narrate: a guided tour that ends by itself)')
    .option('--narrate', 'the narrated tour: a cluster forms, an actor crashes and restarts, a node is killed and comes back')
    .option('--nodes <n>', 'nodes per app (and in the narrated tour)', '3')
    .option('--base-port <port>', 'first cluster port (the narrated tour: the first port of its range)', '4370')
    .option('--restart-delay-ms <ms>', 'how long a node that died waits before the demo starts it again', '5000')
    .option('--http-port <port>', "first HTTP port (the chat's; the cache's start ten above)", '8080')
    .option('--redis-port <port>', "first port of the cache's Redis protocol", '6380')
    .action(async (flags: { narrate?: boolean; nodes: string; basePort: string; restartDelayMs: string; httpPort: string; redisPort: string }) => {
      const count = Number(flags.nodes)
      const basePort = Number(flags.basePort)
      if (!Number.isInteger(basePort) || basePort < 1024 || basePort > 65000) throw new Error(`invalid --base-port ${flags.basePort}: expected 1024..65000`)
      const restartDelayMs = millisecondsFlag('restart-delay-ms', flags.restartDelayMs, 0)
      const port = (flag: string, value: string): number => {
        const n = Number(value)
        if (!Number.isInteger(n) || n < 1024 || n > 65000) throw new Error(`invalid ${flag} ${value}: expected 1024..65000`)
        return n
      }
      if (flags.narrate === true) await runNarratedTour(io, basePort, count)
      else {
        const ports = { httpPort: port('--http-port', flags.httpPort), redisPort: port('--redis-port', flags.redisPort) }
        await runLocalClusterDemo(io, { nodesPerApp: count, basePort, restartDelayMs, ...ports })
      }
    })
}
