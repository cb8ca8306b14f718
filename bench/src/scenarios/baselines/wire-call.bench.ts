/**
 * baseline.ws.call.*: the same calls as remote-call.bench.ts over a bare ws connection: a request is `[id, body]`,
 * batched one msgpack array per frame per event-loop turn both ways; the server (wire-peer.ts) echoes. With one in
 * flight this is a bare ws ping-pong. In open mode the loads are offered at the rates Cohort's run measured, when it
 * ran before this one; otherwise at shares of this baseline's own max rate.
 */
import { runScenario } from '../../child/harness.ts'
import { startHelper } from '../../child/helper-process.ts'
import { closedLoop, closedLoopResults, latencyResults, openLoopByLoad } from '../../child/open-loop.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { connectWire } from '../../child/wire-client.ts'
import { baselineUnpackr, payload } from '../../child/wire.ts'

runScenario(async (params: ScenarioParams) => {
  const peer = await startHelper(import.meta.url, './wire-peer.js', { transport: 'ws', mode: 'echo' }, params.cpuProfDir)
  const { port } = await peer.request<{ port: number }>({ type: 'info' })
  const unpackr = baselineUnpackr()
  const pending = new Map<number, () => void>()
  const client = await connectWire('ws', port, (frame) => {
    const replies = unpackr.unpack(frame) as [number, Uint8Array][]
    for (let i = 0; i < replies.length; i++) {
      const id = replies[i]![0]
      const resolve = pending.get(id)
      if (resolve !== undefined) {
        pending.delete(id)
        resolve()
      }
    }
  })
  const body = payload(64)
  let nextId = 0
  const call = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const id = nextId++
      pending.set(id, resolve)
      client.enqueue([id, body], 64)
    })
  try {
    if (params['mode'] === 'closed') {
      const inflight = Number(params['inflight'])
      return closedLoopResults('baseline.ws.call', inflight, await closedLoop(params, call, inflight))
    }
    const given = params['rates'] as Record<string, number> | undefined
    let ownMax: number | undefined
    if (given === undefined) ownMax = (await closedLoop({ ...params, trials: 1 }, call, 100)).rates[0]!
    const rates = (params['loads'] as number[]).map((load) => ({ load, rate: given?.[String(load)] ?? (ownMax! * load) / 100 }))
    const byLoad = await openLoopByLoad(params, call, rates)
    return latencyResults('baseline.ws.call', byLoad, { ratesFrom: given === undefined ? 'own max rate' : "Cohort's max rate", ...(ownMax === undefined ? {} : { maxRate: Math.round(ownMax) }) })
  } finally {
    client.close()
    await peer.close()
  }
})
