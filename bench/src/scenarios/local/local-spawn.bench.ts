/**
 * local.spawn: spawns per second, each spawn counted once its `init` has run (the actor is alive and idle). Every
 * trial spawns a fresh population into a fresh system, which is then dropped. Compare with
 * baselines/local-spawn.bench.ts (a plain object and a Map entry per "actor").
 */
import { createActorSystem } from '@cohort/core'
import type { ServerBehaviour } from '@cohort/core'
import { collectGarbage, nowMs, runScenario } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'

const idle: ServerBehaviour = { name: 'idle', init: () => null }

async function spawnMany(count: number): Promise<number> {
  const system = createActorSystem({ node: 'bench@127.0.0.1' })
  const start = nowMs()
  for (let i = 0; i < count; i++) system.spawn(idle)
  await system.whenIdle()
  return (count * 1000) / (nowMs() - start)
}

runScenario(async (params: ScenarioParams) => {
  const count = Number(params['actors'] ?? 100_000)
  await spawnMany(Math.max(1000, count >> 2))
  collectGarbage()
  const values: number[] = []
  for (let i = 0; i < params.trials; i++) {
    values.push(await spawnMany(count))
    collectGarbage()
  }
  return [{ name: 'local.spawn', values, extra: { actorsPerTrial: count } }]
})
