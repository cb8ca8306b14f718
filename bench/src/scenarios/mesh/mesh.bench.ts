/**
 * mesh.nodes<N>: N Cohort nodes (helper processes, this one only coordinates) connected all-to-all on loopback; every
 * node sends 64-byte messages to every other. The figure is the aggregate received rate, each node's rate measured on
 * its own clock and summed. With mesh.nodes2 as the baseline, the ratio is the share of the 2-node aggregate kept.
 */
import { runScenario, sleep } from '../../child/harness.ts'
import { startHelper } from '../../child/helper-process.ts'
import type { Helper } from '../../child/helper-process.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { HOST } from '../../child/wire.ts'

runScenario(async (params: ScenarioParams) => {
  const count = Number(params['nodes'])
  const size = Number(params['size'] ?? 64)
  const names = Array.from({ length: count }, (_, i) => `mesh${i}@${HOST}`)
  const nodes: Helper[] = await Promise.all(names.map((name) => startHelper(import.meta.url, './mesh-node.js', { name, size }, params.cpuProfDir)))
  try {
    const infos = await Promise.all(nodes.map((n) => n.request<{ name: string; url: string }>({ type: 'info' })))
    await Promise.all(nodes.map((n) => n.request({ type: 'connect', peers: infos })))
    for (let tries = 0; ; tries++) {
      const connected = await Promise.all(nodes.map((n) => n.request<number>({ type: 'connected' })))
      if (connected.every((c) => c === count - 1)) break
      if (tries > 200) throw new Error(`mesh did not form: ${connected.join(',')}`)
      await sleep(25)
    }
    await Promise.all(nodes.map((n, i) => n.request({ type: 'start', peers: names.filter((_, j) => j !== i) })))
    const mark = (): Promise<{ count: number; atMs: number }[]> => Promise.all(nodes.map((n) => n.request<{ count: number; atMs: number }>({ type: 'mark' })))
    await sleep(params.warmupMs)
    let last = await mark()
    const rates: number[] = []
    const perNode: number[][] = []
    for (let t = 0; t < params.trials; t++) {
      await sleep(params.trialMs)
      const next = await mark()
      const each = next.map((s, i) => ((s.count - last[i]!.count) * 1000) / (s.atMs - last[i]!.atMs))
      perNode.push(each.map(Math.round))
      rates.push(each.reduce((a, b) => a + b, 0))
      last = next
    }
    await Promise.all(nodes.map((n) => n.request({ type: 'halt' })))
    return [{ name: `mesh.nodes${count}`, values: rates, extra: { nodes: count, connections: (count * (count - 1)) / 2, perNodeRates: perNode } }]
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
  }
})
