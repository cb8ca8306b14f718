/**
 * remote.oneway.<size>.pairs<N>: two Cohort nodes on loopback (this process and peer-node.ts); N sender actors here
 * each send `size`-byte messages (or, with `kind: 'object'`, a ~100-byte chat line object) to their own sink actor
 * there, as fast as the transport's backpressure lets them. With `tls: true`, over wss:// (remote.oneway.<size>.tls.pairs1).
 * The peer counts what arrives; trials are windows of its count. Compare with baselines/wire-oneway.bench.ts.
 */
import type { Pid, ServerBehaviour } from '@cohort/core'
import { runScenario, sampleRates } from '../../child/harness.ts'
import type { Sample } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { batchFor, megabytesPerSecond, messageFor } from '../../child/wire.ts'
import { startTwoNodes } from './two-nodes.ts'

runScenario(async (params: ScenarioParams) => {
  const { message: body, bytes: size } = messageFor(params)
  const pairs = Number(params['pairs'] ?? 1)
  const { node, peer, peerName, close } = await startTwoNodes(params)
  try {
    await peer.request({ type: 'sinks', count: pairs })
    const batch = batchFor(size)
    let running = true
    const sender: ServerBehaviour<{ to: Pid }, number> = {
      name: 'sender',
      init: async (i, ctx) => {
        const to = await ctx.call<Pid>({ name: `sink${i}`, node: peerName }, 'pid')
        ctx.send(ctx.self, 'go')
        return { to }
      },
      handleInfo: (_go, state, ctx) => {
        if (!running) return state
        for (let k = 0; k < batch; k++) ctx.send(state.to, body)
        ctx.send(ctx.self, 'go')
        return state
      },
    }
    for (let i = 0; i < pairs; i++) node.system.spawn(sender, i)
    const { rates, byteRates, cpu } = await sampleRates(params, () => peer.request<Sample>({ type: 'mark' }))
    running = false
    const stats = node.stats()
    const out = stats.peers.find((p) => p.node === peerName)
    return [
      {
        name: `remote.oneway.${params['label'] as string}${params['tls'] === true ? '.tls' : ''}${Number(params['busyWaitMs'] ?? 0) > 0 ? '.busywait' : ''}.pairs${pairs}`,
        values: rates,
        secondary: { unit: 'MB/s', values: megabytesPerSecond(params, rates, byteRates, size) },
        extra: { sizeBytes: size, pairs, batchPerStep: batch, messagesOut: out?.messagesOut, bytesOut: out?.bytesOut },
        cpu: { sender: cpu.self, ...(cpu.peer !== undefined ? { receiver: cpu.peer } : {}) },
      },
    ]
  } finally {
    await close()
  }
})
