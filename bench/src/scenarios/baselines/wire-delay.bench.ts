/**
 * baseline.ws.delay.<p50|p99|p999>.load<pct>: the replication delay's substrate without Cohort, in the shape of
 * `replicated.delay`: one writer and two receivers, three processes. The writer (this process) wakes on the same
 * ticks as the replicated writer and stamps a 100-byte Buffer with each write's intended send time; each turn's
 * Buffers go to both receivers over bare ws + msgpackr (batched per turn as the other wire baselines), at the rates
 * `replicated.delay` offered in this run. Each receiver is a bare server in a process of its own that times every
 * Buffer from its stamp on the machine-wide monotonic clock; the figures are the first receiver's, as Cohort's are.
 */
import { Buffer } from 'node:buffer'
import { runScenario, sleep } from '../../child/harness.ts'
import { startHelper } from '../../child/helper-process.ts'
import type { Helper } from '../../child/helper-process.ts'
import { onTicks } from '../../child/open-loop-schedule.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { connectWire } from '../../child/wire-client.ts'
import type { WireClient } from '../../child/wire-client.ts'

const RECEIVERS = 2
const VALUE_BYTES = 100

/**
 * Writes at `rate` per second on the replicated writer's ticks (`onTicks`), each Buffer stamped with its intended
 * time and queued for every receiver. Returns a function that stops it.
 */
function writeAt(clients: readonly WireClient[], rate: number): () => void {
  return onTicks(rate, (i, intendedUs) => {
    const b = Buffer.allocUnsafe(VALUE_BYTES).fill(i & 0xff)
    b.writeDoubleLE(intendedUs, 0)
    for (const client of clients) client.enqueue(b, VALUE_BYTES)
  })
}

runScenario(async (params: ScenarioParams) => {
  const rates = (params['rates'] ?? {}) as Record<string, number>
  const sinks: Helper[] = await Promise.all(Array.from({ length: RECEIVERS }, () => startHelper(import.meta.url, './wire-delay-sink.js', {}, params.cpuProfDir)))
  const clients: WireClient[] = []
  const results: { name: string; values: number[]; extra: Record<string, unknown> }[] = []
  try {
    for (const sink of sinks) {
      const { port } = await sink.request<{ port: number }>({ type: 'info' })
      clients.push(await connectWire('ws', port, () => {}))
    }
    const delaysOfAll = (): Promise<{ p50: number; p99: number; p999: number }[]> => Promise.all(sinks.map((s) => s.request<{ p50: number; p99: number; p999: number }>({ type: 'delays' })))
    for (const [load, rate] of Object.entries(rates)) {
      const stop = writeAt(clients, rate)
      await sleep(params.warmupMs)
      await delaysOfAll()
      const trials: { p50: number; p99: number; p999: number }[] = []
      for (let t = 0; t < params.trials; t++) {
        await sleep(params.trialMs)
        const [own] = (await delaysOfAll()) as [{ p50: number; p99: number; p999: number }]
        trials.push(own)
      }
      stop()
      for (const p of ['p50', 'p99', 'p999'] as const) results.push({ name: `baseline.ws.delay.${p}.load${load}`, values: trials.map((t) => t[p]), extra: { offeredRate: rate, receivers: RECEIVERS } })
    }
    return results
  } finally {
    for (const client of clients) client.close()
    await Promise.all(sinks.map((s) => s.close()))
  }
})
