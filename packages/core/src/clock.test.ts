import { describe, expect, it } from 'vitest'
import { systemClock } from './clock.ts'

describe('systemClock', () => {
  it('reads the time for turnNow once per event-loop turn', async () => {
    const first = systemClock.turnNow!()
    // Time passes within the turn (busy, not waiting): turnNow still gives the turn's reading.
    const until = Date.now() + 5
    while (Date.now() < until);
    expect(systemClock.turnNow!()).toBe(first)
    expect(systemClock.now()).toBeGreaterThanOrEqual(first + 5)
    // The next turn reads it again.
    await new Promise((resolve) => setImmediate(resolve))
    expect(systemClock.turnNow!()).toBeGreaterThanOrEqual(first + 5)
  })
})
