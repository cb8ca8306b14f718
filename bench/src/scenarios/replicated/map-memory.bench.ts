/**
 * replicated.memory.per-key: bytes of heap and array buffers per key of a replicated map holding 100,000 keys with
 * 100-byte Buffer values, on a node of its own; the baseline `baseline.replicated.memory.map` holds the same keys and
 * values in a plain Map. The difference is the map's bookkeeping: each entry's version, fingerprint and range list
 * links. Run with --expose-gc.
 */
import { Buffer } from 'node:buffer'
import { createActorSystem, startReplicatedMap } from '@cohort/core'
import { collectGarbage, runScenario } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'

const KEYS = 100_000

function used(): number {
  collectGarbage()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

runScenario(async (params: ScenarioParams) => {
  const mode = params['mode'] as 'map' | 'baseline'
  const keys = params.quick ? 20_000 : KEYS
  const values: number[] = []
  for (let t = 0; t < params.trials; t++) {
    const system = createActorSystem({ node: `memory${t}@127.0.0.1` })
    const before = used()
    let keep: unknown
    if (mode === 'map') {
      const map = startReplicatedMap<Buffer>(system, { scope: 'memory' })
      for (let i = 0; i < keys; i++) map.set(`key:${i}`, Buffer.alloc(100, i & 0xff))
      keep = map
    } else {
      const map = new Map<string, Buffer>()
      for (let i = 0; i < keys; i++) map.set(`key:${i}`, Buffer.alloc(100, i & 0xff))
      keep = map
    }
    values.push((used() - before) / keys)
    if (keep === undefined) throw new Error('unreachable')
    await system.shutdown()
  }
  return [{ name: mode === 'map' ? 'replicated.memory.per-key' : 'baseline.replicated.memory.map', values, extra: { keys, valueBytes: 100 } }]
})
