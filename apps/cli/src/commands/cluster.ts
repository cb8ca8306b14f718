/**
 * `cohort cluster <node>`: shows the cluster as seen from one node — every node, its connections, its supervision
 * tree and its largest mailboxes — asking each node's observer over a hidden connection.
 */
import { isCohortError } from '@cohort/core'
import type { CohortNode } from '@cohort/transport'
import { Command } from 'commander'
import { connectHidden, parseTarget } from '../hidden-client.ts'
import type { Target } from '../hidden-client.ts'
import { OBSERVER_NAME } from '../observer.ts'
import type { NodeInfo, TreeNode } from '../observer.ts'
import type { ProgramIO } from '../program.ts'

export function clusterCommand(io: ProgramIO): Command {
  return new Command('cluster')
    .description('show the cluster: nodes, connections, supervision trees, mailbox depths')
    .argument('<node>', 'any node of the cluster, e.g. demo-4370@127.0.0.1')
    .option('--url <url>', 'the URL the node listens on (derived for local demo nodes)')
    .option('--cookie <secret>', 'the cluster cookie [COHORT_COOKIE]')
    .option('--json', 'print the raw information as JSON')
    .option('--wait-for <nodes>', 'first wait until the node is up and sees this many nodes, itself included (scripts that start a cluster)')
    .option('--timeout-ms <ms>', 'how long --wait-for waits', '15000')
    .action(async (name: string, flags: { url?: string; cookie?: string; json?: boolean; waitFor?: string; timeoutMs: string }) => {
      const cookie = flags.cookie ?? io.env['COHORT_COOKIE']
      if (cookie === undefined) throw new Error('no cookie: pass --cookie or set COHORT_COOKIE')
      const target = parseTarget(name, flags.url)
      const waitFor = flags.waitFor === undefined ? undefined : Number(flags.waitFor)
      if (waitFor !== undefined && (!Number.isInteger(waitFor) || waitFor < 1)) throw new Error(`invalid --wait-for ${flags.waitFor}: expected a positive integer`)
      const timeoutMs = Number(flags.timeoutMs)
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new Error(`invalid --timeout-ms ${flags.timeoutMs}: expected a positive integer`)
      const { node, seed } = await askSeed(target, cookie, waitFor, timeoutMs)
      try {
        const infos: NodeInfo[] = [seed]
        for (const peer of seed.nodes.sort()) {
          try {
            // A hidden node does not join the mesh: dial each peer whose URL can be told from its name.
            const peerTarget = tryTarget(peer)
            if (peerTarget !== undefined) await node.connect(peerTarget)
            infos.push(await node.system.call<NodeInfo>({ name: OBSERVER_NAME, node: peer }, 'info', 5000))
          } catch (error) {
            infos.push({ node: peer, nodes: [], actors: 0, deadLetters: 0, largestMailboxes: [], tree: [], unreachable: String(error) } as NodeInfo)
          }
        }
        if (flags.json === true) {
          io.stdout(`${JSON.stringify(infos, null, 2)}\n`)
          return
        }
        io.stdout(formatCluster(infos))
      } finally {
        await node.close()
      }
    })
}

/** How often --wait-for asks again. */
const WAIT_RETRY_MS = 200

/**
 * Connects to `target` and asks its observer; with `waitFor`, retries (a node not up yet refuses the connection)
 * until the node sees that many nodes, itself included, or `timeoutMs` has passed.
 */
async function askSeed(target: Target, cookie: string, waitFor: number | undefined, timeoutMs: number): Promise<{ node: CohortNode; seed: NodeInfo }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let node: CohortNode | undefined
    let last: unknown
    try {
      node = await connectHidden(target, cookie)
      const seed = await node.system.call<NodeInfo>({ name: OBSERVER_NAME, node: target.name }, 'info', 5000)
      if (waitFor === undefined || seed.nodes.length + 1 >= waitFor) return { node, seed }
      last = new Error(`${target.name} sees ${seed.nodes.length + 1} nodes, waiting for ${waitFor}`)
    } catch (error) {
      if (waitFor === undefined || isCohortError(error, 'COHORT_ERR_HANDSHAKE_FAILED') && (error as { closeCode?: unknown }).closeCode === 4001) throw error
      last = error
    }
    await node?.close()
    if (Date.now() + WAIT_RETRY_MS > deadline) {
      throw new Error(`gave up after ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`, { cause: last })
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_RETRY_MS))
  }
}

function tryTarget(name: string): Target | undefined {
  try {
    return parseTarget(name, undefined)
  } catch {
    return undefined
  }
}

/** The human-readable cluster view. */
export function formatCluster(infos: NodeInfo[]): string {
  const lines: string[] = [`cluster of ${infos.length} node${infos.length === 1 ? '' : 's'}`, '']
  for (const info of infos) {
    const unreachable = (info as NodeInfo & { unreachable?: string }).unreachable
    lines.push(`${info.node}${unreachable === undefined ? '' : `  (unreachable: ${unreachable})`}`)
    if (unreachable !== undefined) continue
    lines.push(`  connected to: ${info.nodes.length === 0 ? '(none)' : info.nodes.sort().join(', ')}`)
    lines.push(`  actors: ${info.actors}, dead letters: ${info.deadLetters}`)
    lines.push('  supervision tree:')
    lines.push('    root')
    const walk = (nodes: TreeNode[], indent: string): void => {
      nodes.forEach((n, i) => {
        const last = i === nodes.length - 1
        lines.push(`${indent}${last ? '└─' : '├─'} ${n.id} ${n.pid ?? '(not running)'}${n.type === 'supervisor' ? ' [supervisor]' : ''}`)
        walk(n.children, `${indent}${last ? '   ' : '│  '}`)
      })
    }
    walk(info.tree, '    ')
    lines.push('  largest mailboxes:')
    for (const m of info.largestMailboxes) lines.push(`    ${m.pid} ${m.name ?? m.behaviour}: ${m.mailboxDepth}`)
    lines.push('')
  }
  return `${lines.join('\n')}\n`
}
