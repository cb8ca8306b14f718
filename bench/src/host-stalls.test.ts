import { describe, expect, it } from 'vitest'
import { describeStalls, measureHostStalls, summarizeStalls } from './host-stalls.ts'

describe('summarizeStalls', () => {
  it('averages the lost time over the threads and counts the long stalls', () => {
    const s = summarizeStalls([[1, 6, 100.2], [0.7]], 1000)
    expect(s.threads).toBe(2)
    expect(s.lostShare).toBeCloseTo((1 + 6 + 100.2 + 0.7) / 2 / 1000, 9)
    expect(s.longestMs).toBe(100.2)
    expect(s.over5ms).toBe(2)
    expect(s.over50ms).toBe(1)
    expect(describeStalls(s)).toBe('5.40 % of each thread\'s time lost, longest 100.2 ms, 2 stalls over 5 ms (1 over 50 ms)')
  })

  it('reads a thread that never stalled as nothing lost', () => {
    expect(summarizeStalls([[], []], 500)).toEqual({ threads: 2, durationMs: 500, lostShare: 0, longestMs: 0, over5ms: 0, over50ms: 0 })
  })
})

describe('measureHostStalls', () => {
  it('spins the threads it is asked for, for as long as asked, and reports what they lost', async () => {
    const started = performance.now()
    const s = await measureHostStalls(100, 1)
    expect(performance.now() - started).toBeGreaterThanOrEqual(100)
    expect(s.threads).toBe(1)
    expect(s.durationMs).toBe(100)
    // The longest stall is part of the time lost, and a stall over 50 ms is also one over 5 ms.
    expect(s.lostShare).toBeGreaterThanOrEqual(0)
    expect(s.longestMs).toBeLessThanOrEqual(s.lostShare * s.durationMs + 1e-9)
    expect(s.over50ms).toBeLessThanOrEqual(s.over5ms)
  })

  it('refuses a duration or a thread count that would never end or spin nothing', async () => {
    await expect(measureHostStalls(Number.NaN)).rejects.toThrow('durationMs must be a positive number of ms, got NaN')
    await expect(measureHostStalls(0)).rejects.toThrow('durationMs must be a positive number of ms, got 0')
    await expect(measureHostStalls(10, 0)).rejects.toThrow('threads must be a whole number of at least 1, got 0')
  })
})
