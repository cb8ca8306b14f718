/**
 * `cohort status` (also `cohort cluster`): the cluster as one node sees it — nodes up and down, connections with
 * messages per second, supervision trees, deepest mailboxes, restarts and the latest node events — from that node's
 * `cohort_observer`, over a hidden connection. `--watch` redraws it until Ctrl-C, which is when rates show best:
 * they are counted between two reports.
 */
import { isCohortError } from '@cohort/core'
import { OBSERVER_NAME } from '@cohort/discovery'
import type { ClusterReport } from '@cohort/discovery'
import type { CohortNode } from '@cohort/transport'
import { Command } from 'commander'
import { connectHidden, parseTarget } from '../hidden-client.ts'
import type { Target } from '../hidden-client.ts'
import type { ProgramIO } from '../program-io.ts'
import { formatStatus } from '../status-view.ts'
import { millisecondsFlag } from './milliseconds-flag.ts'

/** ANSI: clear the screen and move home, so each watch frame replaces the last. */
const CLEAR = '\u001b[2J\u001b[H'

interface StatusFlags {
  node?: string
  url?: string
  cookie?: string
  json?: boolean
  watch?: boolean
  intervalMs: string
  waitFor?: string
  timeoutMs: string
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
    .option('--wait-for <nodes>', 'first wait until the node is up and sees this many nodes, itself included (scripts that start a cluster)')
    .option('--timeout-ms <ms>', 'how long --wait-for waits', '15000')
    .action(async (positional: string | undefined, flags: StatusFlags) => {
      const cookie = flags.cookie ?? io.env['COHORT_COOKIE']
      if (cookie === undefined) throw new Error('no cookie: pass --cookie or set COHORT_COOKIE')
      const name = flags.node ?? positional
      if (name === undefined) throw new Error('no node: pass --node name@host:port (any node of the cluster)')
      const intervalMs = millisecondsFlag('interval-ms', flags.intervalMs, 100)
      const waitFor = flags.waitFor === undefined ? undefined : Number(flags.waitFor)
      if (waitFor !== undefined && (!Number.isInteger(waitFor) || waitFor < 1)) throw new Error(`invalid --wait-for ${flags.waitFor}: expected a positive integer`)
      const timeoutMs = millisecondsFlag('timeout-ms', flags.timeoutMs, 1)
      const target = parseTarget(name, flags.url)
      const { node, first } = await askFirst(target, cookie, waitFor, timeoutMs)
      const ask = (): Promise<ClusterReport> => askReport(node, target)
      const print = (report: ClusterReport): void => io.stdout(flags.json === true ? `${JSON.stringify(report)}\n` : formatStatus(report))
      try {
        if (flags.watch !== true) {
          print(first)
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

/** How often --wait-for asks again. */
const WAIT_RETRY_MS = 200

function askReport(node: CohortNode, target: Target): Promise<ClusterReport> {
  return node.system.call<ClusterReport>({ name: OBSERVER_NAME, node: target.name }, 'cluster', 10_000)
}

/** How many nodes a report's node sees, itself included: those that answered and those connected but silent. */
function seen(report: ClusterReport): number {
  return report.nodes.length + report.silent.length
}

/**
 * Connects to `target` and asks its observer; with `waitFor`, retries (a node not up yet refuses the connection)
 * until the node sees that many nodes, itself included, or `timeoutMs` has passed. A wrong cookie fails at once.
 */
async function askFirst(target: Target, cookie: string, waitFor: number | undefined, timeoutMs: number): Promise<{ node: CohortNode; first: ClusterReport }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let node: CohortNode | undefined
    let last: unknown
    try {
      node = await connectHidden(target, cookie)
      const first = await askReport(node, target)
      if (waitFor === undefined || seen(first) >= waitFor) return { node, first }
      last = new Error(`${target.name} sees ${seen(first)} nodes, waiting for ${waitFor}`)
    } catch (error) {
      if (waitFor === undefined || (isCohortError(error, 'COHORT_ERR_HANDSHAKE_FAILED') && (error as { closeCode?: unknown }).closeCode === 4001)) {
        await node?.close()
        throw error
      }
      last = error
    }
    await node?.close()
    if (Date.now() + WAIT_RETRY_MS > deadline) {
      throw new Error(`gave up after ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`, { cause: last })
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_RETRY_MS))
  }
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
