/**
 * `cohort ping <node>`: connects as a hidden node and measures round trips to the node's observer.
 */
import { Command } from 'commander'
import { OBSERVER_NAME } from '@cohort/discovery'
import { connectHidden, parseTarget } from '../hidden-client.ts'
import type { ProgramIO } from '../program.ts'

export function pingCommand(io: ProgramIO): Command {
  return new Command('ping')
    .description('ping a node (round trips to its observer over a hidden connection)')
    .argument('<node>', 'node name, e.g. demo-4370@127.0.0.1')
    .option('--url <url>', 'the URL the node listens on (derived for local demo nodes)')
    .option('--cookie <secret>', 'the cluster cookie [COHORT_COOKIE]')
    .option('--count <n>', 'how many pings', '3')
    .action(async (name: string, flags: { url?: string; cookie?: string; count: string }) => {
      const cookie = flags.cookie ?? io.env['COHORT_COOKIE']
      if (cookie === undefined) throw new Error('no cookie: pass --cookie or set COHORT_COOKIE')
      const count = Number(flags.count)
      if (!Number.isInteger(count) || count < 1) throw new Error(`invalid --count ${flags.count}: expected a positive integer`)
      const target = parseTarget(name, flags.url)
      const node = await connectHidden(target, cookie)
      try {
        for (let i = 0; i < count; i++) {
          const started = performance.now()
          await node.system.call({ name: OBSERVER_NAME, node: target.name }, 'ping', 5000)
          io.stdout(`pong from ${target.name} in ${(performance.now() - started).toFixed(2)} ms\n`)
        }
      } finally {
        await node.close()
      }
    })
}
