/**
 * baseline.local.spawn: the plain-JavaScript floor for local.spawn: per "actor", an object with an id, a state and a
 * null mailbox, put in a Map, and its init function called from a plain run queue drained in a loop.
 */
import { collectGarbage, nowMs, runScenario } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'

interface PlainActor {
  id: number
  state: unknown
  mailbox: unknown[] | null
  init: () => unknown
}

const init = (): unknown => null

function spawnMany(count: number): number {
  const table = new Map<number, PlainActor>()
  const runQueue: PlainActor[] = []
  const start = nowMs()
  for (let i = 0; i < count; i++) {
    const actor: PlainActor = { id: i + 1, state: undefined, mailbox: null, init }
    table.set(actor.id, actor)
    runQueue.push(actor)
  }
  for (let i = 0; i < runQueue.length; i++) {
    const actor = runQueue[i]!
    actor.state = actor.init()
  }
  const rate = (count * 1000) / (nowMs() - start)
  if (table.size !== count) throw new Error('lost actors')
  return rate
}

runScenario(async (params: ScenarioParams) => {
  const count = Number(params['actors'] ?? 100_000)
  spawnMany(Math.max(1000, count >> 2))
  collectGarbage()
  const values: number[] = []
  for (let i = 0; i < params.trials; i++) {
    values.push(spawnMany(count))
    collectGarbage()
  }
  return [{ name: 'baseline.local.spawn', values, extra: { actorsPerTrial: count } }]
})
