import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_NODE_TIMEOUT_MS, systemClock } from './clock.ts'

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

  describe('timers longer than Node holds', () => {
    // Vitest's fake timers do what Node does with a delay past 2^31 - 1 ms: fire it after 1 ms.
    afterEach(() => {
      vi.useRealTimers()
    })
    const thirtyDays = 30 * 24 * 3600 * 1000

    it('fires a 30-day timer after 30 days, not after 1 ms', () => {
      vi.useFakeTimers()
      let fired = 0
      systemClock.setTimeout(() => fired++, thirtyDays)
      vi.advanceTimersByTime(1)
      expect(fired).toBe(0)
      vi.advanceTimersByTime(MAX_NODE_TIMEOUT_MS)
      expect(fired).toBe(0)
      vi.advanceTimersByTime(thirtyDays - MAX_NODE_TIMEOUT_MS - 2)
      expect(fired).toBe(0)
      vi.advanceTimersByTime(1)
      expect(fired).toBe(1)
      vi.advanceTimersByTime(thirtyDays)
      expect(fired).toBe(1)
    })

    it('clears a long timer before and after its first link', () => {
      vi.useFakeTimers()
      let fired = 0
      const early = systemClock.setTimeout(() => fired++, thirtyDays)
      const late = systemClock.setTimeout(() => fired++, thirtyDays)
      systemClock.clearTimeout(early)
      vi.advanceTimersByTime(MAX_NODE_TIMEOUT_MS + 1)
      systemClock.clearTimeout(late)
      vi.advanceTimersByTime(thirtyDays)
      expect(fired).toBe(0)
    })
  })
})
