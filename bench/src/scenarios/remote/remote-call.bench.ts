/**
 * remote.call.*: `system.call` from this node to an echo server behaviour on a peer node over loopback, with a
 * 64-byte request. `closed` mode: N callers in a closed loop (remote.call.inflight<N>, calls/s, and the round trip's
 * p50 and p99 in µs: remote.call.inflight<N>.p50, .p99; with the `busyWaitMs` param, remote.call.busywait.inflight<N>,
 * both nodes busy-waiting that long after each frame). `open` mode: the max
 * rate is measured first (closed loop, 100 in flight), then calls are offered open-loop at each load (a share of that
 * rate) and p50/p99/p99.9 reported (remote.call.<p>.load<pct>, µs). Compare with baselines/wire-call.bench.ts.
 */
import type { Pid } from '@cohort/core'
import { runScenario } from '../../child/harness.ts'
import { closedLoop, closedLoopResults, latencyResults, openLoopByLoad } from '../../child/open-loop.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { payload } from '../../child/wire.ts'
import { startTwoNodes } from './two-nodes.ts'

runScenario(async (params: ScenarioParams) => {
  const { node, peer, peerName, close } = await startTwoNodes(params)
  try {
    await peer.request({ type: 'echo' })
    const echo = await node.system.call<Pid>({ name: 'echo', node: peerName }, 'pid')
    const body = payload(64)
    const call = (): Promise<unknown> => node.system.call(echo, body, 30_000)
    if (params['mode'] === 'closed') {
      const inflight = Number(params['inflight'])
      const prefix = params['busyWaitMs'] === undefined ? 'remote.call' : 'remote.call.busywait'
      return closedLoopResults(prefix, inflight, await closedLoop(params, call, inflight))
    }
    const maxRate = (await closedLoop({ ...params, trials: 1 }, call, 100)).rates[0]!
    const rates = (params['loads'] as number[]).map((load) => ({ load, rate: (maxRate * load) / 100 }))
    const byLoad = await openLoopByLoad(params, call, rates)
    return latencyResults('remote.call', byLoad, { maxRate: Math.round(maxRate) })
  } finally {
    await close()
  }
})
