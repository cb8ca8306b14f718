import { monitorEventLoopDelay } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { loopDelayUs } from './chat-load.ts'

describe('loopDelayUs', () => {
  it("takes the sampling interval out of Node's event-loop delay readings", () => {
    expect(loopDelayUs(10_000_000)).toBe(0)
    expect(loopDelayUs(12_500_000)).toBe(2500)
    // A sample that came early (after a late one) is no delay, not a negative one.
    expect(loopDelayUs(9_200_000)).toBe(0)
  })

  it('is needed: on an idle loop Node reads the whole 10 ms interval, not a delay near 0', async () => {
    const histogram = monitorEventLoopDelay({ resolution: 10 })
    histogram.enable()
    // Waits for samples, not for a time: each await lets the event loop turn once, and its timer phase takes them.
    while (histogram.count < 5) await new Promise((resolve) => setImmediate(resolve))
    histogram.disable()
    expect(histogram.percentile(50)).toBeGreaterThan(5_000_000)
  })
})
