/**
 * groups.fanout: one publisher to 1,000 members of a process group spread over 3 nodes (helper processes; this one
 * only coordinates). The figure is deliveries per second summed over the nodes. `broadcast` sends one copy per remote
 * node, which fans it out locally; the baseline `groups.fanout.naive` sends one message per member from the
 * publisher, so the ratio is what the one-copy-per-node fan-out buys.
 */
import { runScenario, sleep } from '../../child/harness.ts'
import { startHelper } from '../../child/helper-process.ts'
import type { Helper } from '../../child/helper-process.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { HOST } from '../../child/wire.ts'

const MEMBERS = 1000
const NODES = 3

runScenario(async (params: ScenarioParams) => {
  const mode = params['mode'] as 'broadcast' | 'naive'
  const names = Array.from({ length: NODES }, (_, i) => `fanout${i}@${HOST}`)
  const nodes: Helper[] = await Promise.all(names.map((name) => startHelper(import.meta.url, './fanout-node.js', { name }, params.cpuProfDir)))
  try {
    const infos = await Promise.all(nodes.map((n) => n.request<{ name: string; url: string }>({ type: 'info' })))
    await Promise.all(nodes.map((n) => n.request({ type: 'connect', peers: infos })))
    const share = (i: number): number => Math.floor(MEMBERS / NODES) + (i < MEMBERS % NODES ? 1 : 0)
    await Promise.all(nodes.map((n, i) => n.request({ type: 'join', members: share(i) })))
    // Group membership is eventually consistent: wait until the publisher's node sees every member.
    for (let tries = 0; (await nodes[0]!.request<number>({ type: 'members' })) < MEMBERS; tries++) {
      if (tries > 400) throw new Error('the group did not converge')
      await sleep(25)
    }
    await nodes[0]!.request({ type: 'publish', mode, nodes: names })
    const mark = (): Promise<{ count: number; atMs: number }[]> => Promise.all(nodes.map((n) => n.request<{ count: number; atMs: number }>({ type: 'mark' })))
    await sleep(params.warmupMs)
    let last = await mark()
    const rates: number[] = []
    for (let t = 0; t < params.trials; t++) {
      await sleep(params.trialMs)
      const next = await mark()
      rates.push(next.reduce((sum, s, i) => sum + ((s.count - last[i]!.count) * 1000) / (s.atMs - last[i]!.atMs), 0))
      last = next
    }
    await Promise.all(nodes.map((n) => n.request({ type: 'halt' })))
    return [{ name: mode === 'broadcast' ? 'groups.fanout' : 'groups.fanout.naive', values: rates, extra: { members: MEMBERS, nodes: NODES } }]
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
  }
})
