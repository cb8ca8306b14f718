/**
 * replicated.catchup.<ms|bytes>: two nodes (helper processes) share a 100,000-key map of 100-byte values; one is cut
 * off (it disconnects), the other changes 300 keys spread over the key space, and the first reconnects. The figures
 * are the time from the reconnect to the last changed key applied, and the bytes that crossed the new connection both
 * ways (catch-up steps and entries, plus the handshake and ticks) divided by the changed keys' size (key and value).
 * Each trial is one cut, with other keys.
 */
import { runScenario } from '../../child/harness.ts'
import { startHelper } from '../../child/helper-process.ts'
import type { Helper } from '../../child/helper-process.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { HOST } from '../../child/wire.ts'

const KEYS = 100_000
const CHANGED = 300

runScenario(async (params: ScenarioParams) => {
  const keys = params.quick ? 20_000 : KEYS
  const names = [`rcatch0@${HOST}`, `rcatch1@${HOST}`]
  const nodes: Helper[] = await Promise.all(names.map((name) => startHelper(import.meta.url, './replicated-node.js', { name }, params.cpuProfDir)))
  try {
    const infos = await Promise.all(nodes.map((n) => n.request<{ name: string; url: string }>({ type: 'info' })))
    await Promise.all(nodes.map((n) => n.request({ type: 'connect', peers: infos })))
    const [a, b] = nodes as [Helper, Helper]
    await a.request({ type: 'fill', count: keys })
    await b.request({ type: 'waitSize', size: keys })
    const ms: number[] = []
    const ratios: number[] = []
    const bytes: number[] = []
    for (let t = 0; t < params.trials; t++) {
      await b.request({ type: 'disconnect' })
      await Promise.all([a.request({ type: 'waitAlone' }), b.request({ type: 'waitAlone' })])
      const changedBytes = await a.request<number>({ type: 'changeKeys', count: CHANGED, of: keys, round: t + 1 })
      const r = await b.request<{ ms: number; bytes: number }>({ type: 'catchUp', peer: infos[0], changes: CHANGED })
      ms.push(r.ms)
      bytes.push(r.bytes)
      ratios.push(r.bytes / changedBytes)
    }
    const extra = { keys, changed: CHANGED, valueBytes: 100, bytes }
    return [
      { name: 'replicated.catchup.ms', values: ms, extra },
      { name: 'replicated.catchup.bytes', values: ratios, extra },
    ]
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
  }
})
