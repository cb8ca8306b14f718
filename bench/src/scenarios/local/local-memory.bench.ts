/**
 * local.memory.server and local.memory.process: heap bytes per idle actor. Each trial creates a fresh system, spawns
 * `actors` idle actors of one style (a server behaviour with null state; a process function waiting in `receive`),
 * and reads heapUsed plus the ArrayBuffers' memory (the process table's ids live in one, outside the heap) after
 * forced collections before and after; the pids are not kept. Needs --expose-gc. Compare with
 * baselines/local-memory.bench.ts.
 */
import { createActorSystem } from '@cohort/core'
import type { ActorSystem, ProcessCtx, ServerBehaviour } from '@cohort/core'
import { collectGarbage, runScenario, SkipScenario } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'

const idleServer: ServerBehaviour = { name: 'idle', init: () => null }
const idleProcess = async (ctx: ProcessCtx): Promise<void> => {
  await ctx.receive()
}

/** The heap and the ArrayBuffers' memory outside it. */
function heapBytes(): number {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

async function bytesPerActor(style: 'server' | 'process', count: number): Promise<{ bytes: number; alive: number }> {
  collectGarbage()
  const before = heapBytes()
  let system: ActorSystem | undefined = createActorSystem({ node: 'bench@127.0.0.1' })
  for (let i = 0; i < count; i++) {
    if (style === 'server') system.spawn(idleServer)
    else system.spawn(idleProcess)
  }
  await system.whenIdle()
  collectGarbage()
  const after = heapBytes()
  const alive = system.stats().actors
  system = undefined
  collectGarbage()
  return { bytes: (after - before) / count, alive }
}

runScenario(async (params: ScenarioParams) => {
  if ((globalThis as { gc?: unknown }).gc === undefined) throw new SkipScenario('needs node --expose-gc')
  const style = params['style'] as 'server' | 'process'
  const count = Number(params['actors'] ?? 1_000_000)
  await bytesPerActor(style, Math.max(1000, count >> 3))
  const values: number[] = []
  let alive = 0
  for (let i = 0; i < params.trials; i++) {
    const r = await bytesPerActor(style, count)
    values.push(r.bytes)
    alive = r.alive
  }
  return [{ name: `local.memory.${style}`, values, extra: { actors: count, aliveAtOnce: alive } }]
})
