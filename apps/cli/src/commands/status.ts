/**
 * `cohort status` (also `cohort cluster`): the cluster as one node sees it — nodes up and down, connections with
 * messages per second, supervision trees, deepest mailboxes, restarts and the latest node events — from that node's
 * `cohort_observer`, over a hidden connection. `--watch` redraws it until Ctrl-C, which is when rates show best:
 * they are counted between two reports.
 */
import { Command } from 'commander'
import { OBSERVER_NAME } from '@cohort/discovery'
import type { ClusterReport } from '@cohort/discovery'
import { connectHidden, parseTarget } from '../hidden-client.ts'
import type { ProgramIO } from '../program.ts'
import { formatStatus } from '../status-view.ts'

/** ANSI: clear the screen and move home, so each watch frame replaces the last. */
const CLEAR = '\u001b[2J\u001b[H'

interface StatusFlags {
  node?: string
  url?: string
  cookie?: string
  json?: boolean
  watch?: boolean
  intervalMs: string
}

export function statusCommand(io: ProgramIO): Command {
  return new Command('status')
    .alias('cluster')
    .description('show the cluster: nodes, connections and rates, supervision trees, mailboxes, restarts, node events')
    .argument('[node]', 'any node of the cluster (same as --node)')
    .option('--node <node>', 'any node: name@host:port, or a local demo node name such as demo-4370@127.0.0.1')
    .option('--url <url>', 'the URL the node listens on, when --node is a bare name')
    .option('--cookie <secret>', 'the cluster cookie [COHORT_COOKIE]')
    .option('--json', 'print the report as JSON')
    .option('--watch', 'redraw until Ctrl-C')
    .option('--interval-ms <ms>', 'how often --watch redraws', '2000')
    .action(async (positional: string | undefined, flags: StatusFlags) => {
      const cookie = flags.cookie ?? io.env['COHORT_COOKIE']
      if (cookie === undefined) throw new Error('no cookie: pass --cookie or set COHORT_COOKIE')
      const name = flags.node ?? positional
      if (name === undefined) throw new Error('no node: pass --node name@host:port (any node of the cluster)')
      const intervalMs = Number(flags.intervalMs)
      if (!Number.isInteger(intervalMs) || intervalMs < 100) throw new Error(`invalid --interval-ms ${flags.intervalMs}: expected an integer ≥ 100`)
      const target = parseTarget(name, flags.url)
      const node = await connectHidden(target, cookie)
      const ask = (): Promise<ClusterReport> => node.system.call<ClusterReport>({ name: OBSERVER_NAME, node: target.name }, 'cluster', 10_000)
      const print = (report: ClusterReport): void => io.stdout(flags.json === true ? `${JSON.stringify(report)}\n` : formatStatus(report))
      try {
        if (flags.watch !== true) {
          print(await ask())
          return
        }
        await watch(io, intervalMs, async () => {
          const report = await ask()
          if (flags.json !== true) io.stdout(CLEAR)
          print(report)
        })
      } finally {
        await node.close()
      }
    })
}

/** Runs `frame` every `intervalMs` until SIGINT or SIGTERM; a failed frame ends the watch with its error. */
function watch(io: ProgramIO, intervalMs: number, frame: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    let stopped = false
    const stop = (): void => {
      stopped = true
      clearTimeout(timer)
      io.signals.off('SIGINT', stop)
      io.signals.off('SIGTERM', stop)
      resolve()
    }
    io.signals.on('SIGINT', stop)
    io.signals.on('SIGTERM', stop)
    const next = (): void => {
      frame().then(
        () => {
          if (!stopped) timer = setTimeout(next, intervalMs)
        },
        (error: unknown) => {
          stop()
          reject(error instanceof Error ? error : new Error(String(error)))
        },
      )
    }
    next()
  })
}
