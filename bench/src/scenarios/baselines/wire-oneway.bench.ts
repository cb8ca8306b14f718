/**
 * baseline.ws-msgpackr.oneway.<size>, baseline.net-msgpackr.oneway.<size> and baseline.net-onread.oneway.<size>: the
 * substrate without Cohort. The same payloads as remote-oneway.bench.ts, produced in the same steps (a batch per step,
 * 10 ms slices), batched the same way (child/wire-client.ts), to a bare server in a second process that counts them.
 * `net-onread` is the `net` pair with a receiver that reads each frame into its own Buffer (child/read-in-place.ts).
 */
import { nowMs, runScenario, sampleRates } from '../../child/harness.ts'
import type { Sample } from '../../child/harness.ts'
import { startHelper } from '../../child/helper-process.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { connectWire } from '../../child/wire-client.ts'
import { batchFor, megabytesPerSecond, messageFor } from '../../child/wire.ts'

const SLICE_MS = 10

runScenario(async (params: ScenarioParams) => {
  const { message: body, bytes: size } = messageFor(params)
  const transport = params['transport'] as 'ws' | 'net' | 'net-onread'
  const peer = await startHelper(import.meta.url, './wire-peer.js', { transport, mode: 'sink' }, params.cpuProfDir)
  const { port } = await peer.request<{ port: number }>({ type: 'info' })
  const client = await connectWire(transport === 'ws' ? 'ws' : 'net', port, () => {})
  const batch = batchFor(size)
  let running = true
  const produce = async (): Promise<void> => {
    while (running) {
      const end = nowMs() + SLICE_MS
      while (running && !client.busy && nowMs() < end) {
        for (let k = 0; k < batch; k++) client.enqueue(body, size)
      }
      if (client.busy) await client.drained()
      else await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const producing = produce()
  try {
    const { rates, byteRates, cpu } = await sampleRates(params, () => peer.request<Sample>({ type: 'mark' }))
    return [
      {
        name: params['figure'] as string,
        values: rates,
        secondary: { unit: 'MB/s', values: megabytesPerSecond(params, rates, byteRates, size) },
        extra: { sizeBytes: size, batchPerStep: batch },
        cpu: { sender: cpu.self, ...(cpu.peer !== undefined ? { receiver: cpu.peer } : {}) },
      },
    ]
  } finally {
    running = false
    client.close()
    await producing.catch(() => {})
    await peer.close()
  }
})
