/**
 * baseline.local.memory: heap bytes per plain-JavaScript "actor": an object with an id, a null state and an empty
 * array-backed queue, held in a Map by id. Measured as local-memory.bench.ts measures actors.
 */
import { collectGarbage, runScenario, SkipScenario } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'

function bytesPerEntry(count: number): number {
  collectGarbage()
  const before = process.memoryUsage().heapUsed
  let table: Map<number, { id: number; state: unknown; queue: unknown[] }> | undefined = new Map()
  for (let i = 0; i < count; i++) table.set(i + 1, { id: i + 1, state: null, queue: [] })
  collectGarbage()
  const after = process.memoryUsage().heapUsed
  if (table.size !== count) throw new Error('lost entries')
  table = undefined
  collectGarbage()
  return (after - before) / count
}

runScenario(async (params: ScenarioParams) => {
  if ((globalThis as { gc?: unknown }).gc === undefined) throw new SkipScenario('needs node --expose-gc')
  const count = Number(params['actors'] ?? 1_000_000)
  bytesPerEntry(Math.max(1000, count >> 3))
  const values: number[] = []
  for (let i = 0; i < params.trials; i++) values.push(bytesPerEntry(count))
  return [{ name: 'baseline.local.memory', values, extra: { actors: count } }]
})
