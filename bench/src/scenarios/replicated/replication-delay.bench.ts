/**
 * replicated.delay.<p50|p99|p999>.load<25|50|90>: the delay from `set` on one node to the change applied on another
 * (helper processes, three nodes, one writer), open loop: writes are due on a fixed schedule at a share of the
 * measured maximum (`replicated.writes.writers1` of this run), and each delay is measured from the write's intended
 * time on the machine-wide monotonic clock, so a stalled writer counts against the figure.
 */
import { runScenario, sleep } from '../../child/harness.ts'
import { startHelper } from '../../child/helper-process.ts'
import type { Helper } from '../../child/helper-process.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { HOST } from '../../child/wire.ts'

const NODES = 3

runScenario(async (params: ScenarioParams) => {
  const loads = params['loads'] as number[]
  const max = Number(params['max'] ?? 100_000)
  const names = Array.from({ length: NODES }, (_, i) => `rdelay${i}@${HOST}`)
  const nodes: Helper[] = await Promise.all(names.map((name) => startHelper(import.meta.url, './replicated-node.js', { name }, params.cpuProfDir)))
  try {
    const infos = await Promise.all(nodes.map((n) => n.request<{ name: string; url: string }>({ type: 'info' })))
    await Promise.all(nodes.map((n) => n.request({ type: 'connect', peers: infos })))
    const [writer, receiver] = nodes as [Helper, Helper]
    const results: { name: string; values: number[]; extra: Record<string, unknown> }[] = []
    for (const load of loads) {
      const rate = Math.max(100, Math.round((max * load) / 100))
      await writer.request({ type: 'rate', prefix: `l${load}:`, rate })
      await sleep(params.warmupMs)
      await receiver.request({ type: 'delays' })
      const trials: { p50: number; p99: number; p999: number; count: number }[] = []
      for (let t = 0; t < params.trials; t++) {
        await sleep(params.trialMs)
        trials.push(await receiver.request({ type: 'delays' }))
      }
      await writer.request({ type: 'halt' })
      for (const p of ['p50', 'p99', 'p999'] as const) {
        results.push({ name: `replicated.delay.${p}.load${load}`, values: trials.map((t) => t[p]), extra: { offeredRate: rate, max, changesPerTrial: trials.map((t) => t.count) } })
      }
    }
    return results
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
  }
})
