/**
 * baseline.local.ring: the plain-JavaScript floor for local.ring. 1,000 objects, each with an array-backed queue
 * and a `next`, and a plain FIFO run queue; the token hops from queue to queue in a loop, yielding to the event loop
 * every 10 ms slice.
 */
import { nowMs, runScenario, sampleRates } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'

interface Member {
  queue: unknown[]
  next: Member | undefined
  queued: boolean
}

const SLICE_MS = 10

runScenario(async (params: ScenarioParams) => {
  const size = Number(params['ringSize'] ?? 1000)
  const members: Member[] = []
  for (let i = 0; i < size; i++) members.push({ queue: [], next: undefined, queued: false })
  for (let i = 0; i < size; i++) members[i]!.next = members[(i + 1) % size]
  let hops = 0
  let running = true
  const runQueue: Member[] = []
  let head = 0
  const deliver = (to: Member, msg: unknown): void => {
    to.queue.push(msg)
    if (!to.queued) {
      to.queued = true
      runQueue.push(to)
    }
  }
  deliver(members[0]!, { token: true })
  const slice = (): void => {
    const end = nowMs() + SLICE_MS
    while (running && nowMs() < end) {
      for (let n = 0; n < 10_000 && head < runQueue.length; n++) {
        const m = runQueue[head]!
        runQueue[head++] = undefined as unknown as Member
        m.queued = false
        const msg = m.queue.shift()
        hops++
        deliver(m.next!, msg)
      }
      if (head >= 4096) {
        runQueue.splice(0, head)
        head = 0
      }
    }
    if (running) setImmediate(slice)
  }
  setImmediate(slice)
  const { rates } = await sampleRates(params, () => ({ count: hops, atMs: nowMs() }))
  running = false
  return [{ name: 'baseline.local.ring', values: rates, extra: { actors: size } }]
})
