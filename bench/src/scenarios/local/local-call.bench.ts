/**
 * local.call: round trips per second of `ctx.call` from a process-function actor to a server behaviour in the same
 * node, one call in flight. Each call takes a reply port, a monitor on the callee and a timeout timer. Compare with
 * baselines/local-promise.bench.ts (a plain promise round trip through a queue).
 */
import { createActorSystem } from '@cohort/core'
import type { ProcessCtx, ServerBehaviour } from '@cohort/core'
import { nowMs, runScenario, sampleRates } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'

runScenario(async (params: ScenarioParams) => {
  const system = createActorSystem({ node: 'bench@127.0.0.1' })
  let calls = 0
  let running = true
  const server = system.spawn({
    name: 'echo',
    init: () => null,
    handleCall: (request, _from, state) => ({ reply: request, state }),
  } satisfies ServerBehaviour)
  system.spawn(async (ctx: ProcessCtx) => {
    while (running) {
      await ctx.call(server, calls)
      calls++
    }
  })
  const { rates } = await sampleRates(params, () => ({ count: calls, atMs: nowMs() }))
  running = false
  await system.shutdown()
  return [{ name: 'local.call', values: rates }]
})
