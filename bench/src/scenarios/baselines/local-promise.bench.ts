/**
 * baseline.local.promise: the plain-JavaScript floor for local.call. A caller awaits a promise per request; the
 * request goes into an array-backed queue that a server drains in a microtask, resolving each promise with the echo.
 */
import { nowMs, runScenario, sampleRates } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'

runScenario(async (params: ScenarioParams) => {
  let calls = 0
  let running = true
  const queue: { request: unknown; resolve: (v: unknown) => void }[] = []
  let scheduled = false
  const drain = (): void => {
    scheduled = false
    for (let i = 0; i < queue.length; i++) {
      const item = queue[i]!
      item.resolve(item.request)
    }
    queue.length = 0
  }
  const call = (request: unknown): Promise<unknown> =>
    new Promise((resolve) => {
      queue.push({ request, resolve })
      if (!scheduled) {
        scheduled = true
        queueMicrotask(drain)
      }
    })
  const caller = async (): Promise<void> => {
    // Yield to the event loop now and then, as the actor scheduler's time slice does.
    let sliceEnd = nowMs() + 10
    while (running) {
      await call(calls)
      calls++
      if ((calls & 1023) === 0 && nowMs() > sliceEnd) {
        await new Promise((resolve) => setImmediate(resolve))
        sliceEnd = nowMs() + 10
      }
    }
  }
  void caller()
  const { rates } = await sampleRates(params, () => ({ count: calls, atMs: nowMs() }))
  running = false
  return [{ name: 'baseline.local.promise', values: rates }]
})
