/**
 * local.send: one sender actor to one receiver actor in one node, one new message object per send. The sender sends
 * a batch per 'go' and sends itself the next 'go'; it keeps at most WINDOW messages unacknowledged (the receiver
 * acks every ACK_EVERY), so the receiver's mailbox stays bounded and the figure is the steady rate, not a queue
 * filling up. Compare with baselines/local-queue.bench.ts (the same traffic through a plain mailbox).
 */
import { createActorSystem } from '@cohort/core'
import type { Pid, ServerBehaviour } from '@cohort/core'
import { nowMs, runScenario, sampleRates } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'

const BATCH = 100
const WINDOW = 10_000
const ACK_EVERY = 1_000

runScenario(async (params: ScenarioParams) => {
  const system = createActorSystem({ node: 'bench@127.0.0.1' })
  let received = 0
  let running = true
  let sender: Pid | undefined
  const receiver = system.spawn({
    name: 'receiver',
    init: () => null,
    handleInfo: (_msg: { seq: number }, state, ctx) => {
      if (++received % ACK_EVERY === 0) ctx.send(sender!, 'ack')
      return state
    },
  } satisfies ServerBehaviour)
  sender = system.spawn({
    name: 'sender',
    init: (_args, ctx) => {
      ctx.send(ctx.self, 'go')
      return { sent: 0, acked: 0, waiting: false }
    },
    handleInfo: (msg: 'go' | 'ack', state: { sent: number; acked: number; waiting: boolean }, ctx) => {
      if (msg === 'ack') {
        state.acked += ACK_EVERY
        if (!state.waiting) return state
        state.waiting = false
      }
      if (!running) return state
      if (state.sent - state.acked >= WINDOW) {
        state.waiting = true
        return state
      }
      for (let i = 0; i < BATCH; i++) ctx.send(receiver, { seq: state.sent++ })
      ctx.send(ctx.self, 'go')
      return state
    },
  } satisfies ServerBehaviour)
  const { rates } = await sampleRates(params, () => ({ count: received, atMs: nowMs() }))
  running = false
  await system.shutdown()
  return [{ name: 'local.send', values: rates }]
})
