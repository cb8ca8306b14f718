/**
 * baseline.ws.delay.<p50|p99|p999>.load<pct>: the replication delay's substrate without Cohort. 100-byte Buffers
 * stamped with their intended send time go one way over bare ws + msgpackr (batched per turn as the other wire
 * baselines) at the rates `replicated.delay` offered in this run, on the same open-loop schedule; a bare server in a
 * second process times each from its stamp on the machine-wide monotonic clock.
 */
import { Buffer } from 'node:buffer'
import { runScenario, sleep } from '../../child/harness.ts'
import { startHelper } from '../../child/helper-process.ts'
import { sendsDue } from '../../child/open-loop-schedule.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { connectWire } from '../../child/wire-client.ts'

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

runScenario(async (params: ScenarioParams) => {
  const rates = (params['rates'] ?? {}) as Record<string, number>
  const sink = await startHelper(import.meta.url, './wire-delay-sink.js', {}, params.cpuProfDir)
  const { port } = await sink.request<{ port: number }>({ type: 'info' })
  const client = await connectWire('ws', port, () => {})
  const results: { name: string; values: number[]; extra: Record<string, unknown> }[] = []
  try {
    for (const [load, rate] of Object.entries(rates)) {
      let running = true
      const start = nowUs()
      let i = 0
      const tick = (): void => {
        if (!running) return
        const due = sendsDue(nowUs() - start, rate / 1e6)
        for (; i < due; i++) {
          const b = Buffer.alloc(100, i & 0xff)
          b.writeDoubleLE(start + (i * 1e6) / rate, 0)
          client.enqueue(b, 100)
        }
        const untilMs = (start + (i * 1e6) / rate - nowUs()) / 1000
        if (untilMs > 2) setTimeout(tick, untilMs - 1)
        else setImmediate(tick)
      }
      tick()
      await sleep(params.warmupMs)
      await sink.request({ type: 'delays' })
      const trials: { p50: number; p99: number; p999: number }[] = []
      for (let t = 0; t < params.trials; t++) {
        await sleep(params.trialMs)
        trials.push(await sink.request({ type: 'delays' }))
      }
      running = false
      for (const p of ['p50', 'p99', 'p999'] as const) results.push({ name: `baseline.ws.delay.${p}.load${load}`, values: trials.map((t) => t[p]), extra: { offeredRate: rate } })
    }
    return results
  } finally {
    client.close()
    await sink.close()
  }
})
