/**
 * local.ring: 1,000 actors in a ring pass one token; each hop is a send, a run-queue entry and a handler call.
 * Counted in hops per second. Compare with baselines/local-ring.bench.ts (plain queues and a plain run queue).
 */
import { createActorSystem } from '@cohort/core'
import type { Pid, ServerBehaviour } from '@cohort/core'
import { nowMs, runScenario, sampleRates } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'

runScenario(async (params: ScenarioParams) => {
  const size = Number(params['ringSize'] ?? 1000)
  const system = createActorSystem({ node: 'bench@127.0.0.1' })
  let hops = 0
  let running = true
  const member: ServerBehaviour<{ next: Pid | undefined }> = {
    name: 'ring-member',
    init: () => ({ next: undefined }),
    handleInfo: (msg: { next?: Pid; token?: true }, state, ctx) => {
      if (msg.next !== undefined) return { next: msg.next }
      hops++
      if (running) ctx.send(state.next!, msg)
      return state
    },
  }
  const pids: Pid[] = []
  for (let i = 0; i < size; i++) pids.push(system.spawn(member))
  for (let i = 0; i < size; i++) system.send(pids[i]!, { next: pids[(i + 1) % size] })
  await system.whenIdle()
  system.send(pids[0]!, { token: true })
  const { rates } = await sampleRates(params, () => ({ count: hops, atMs: nowMs() }))
  running = false
  await system.shutdown()
  return [{ name: 'local.ring', values: rates, extra: { actors: size } }]
})
