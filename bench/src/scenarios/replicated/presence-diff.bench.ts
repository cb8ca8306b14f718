/**
 * presence.diff.<p50|p99>: with 10,000 entries tracked in one topic on one node, the delay from `update` of an entry
 * there to the diff delivered to a subscriber on another node (helper processes), at 1,000 updates per second on a
 * fixed schedule, measured from each update's intended time on the machine-wide monotonic clock.
 */
import { runScenario, sleep } from '../../child/harness.ts'
import { startHelper } from '../../child/helper-process.ts'
import type { Helper } from '../../child/helper-process.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { HOST } from '../../child/wire.ts'

const ENTRIES = 10_000
const RATE = 1000

runScenario(async (params: ScenarioParams) => {
  const names = [`rpres0@${HOST}`, `rpres1@${HOST}`]
  const nodes: Helper[] = await Promise.all(names.map((name) => startHelper(import.meta.url, './replicated-node.js', { name }, params.cpuProfDir)))
  try {
    const infos = await Promise.all(nodes.map((n) => n.request<{ name: string; url: string }>({ type: 'info' })))
    await Promise.all(nodes.map((n) => n.request({ type: 'connect', peers: infos })))
    const [a, b] = nodes as [Helper, Helper]
    await a.request({ type: 'track', count: ENTRIES })
    await b.request({ type: 'waitPresence', size: ENTRIES })
    await a.request({ type: 'presenceAt', rate: RATE })
    await sleep(params.warmupMs)
    await b.request({ type: 'presenceDelays' })
    const trials: { p50: number; p99: number }[] = []
    for (let t = 0; t < params.trials; t++) {
      await sleep(params.trialMs)
      trials.push(await b.request({ type: 'presenceDelays' }))
    }
    await a.request({ type: 'halt' })
    const extra = { entries: ENTRIES, rate: RATE }
    return [
      { name: 'presence.diff.p50', values: trials.map((t) => t.p50), extra },
      { name: 'presence.diff.p99', values: trials.map((t) => t.p99), extra },
    ]
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
  }
})
