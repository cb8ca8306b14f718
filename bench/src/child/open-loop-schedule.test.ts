import { afterEach, describe, expect, it, vi } from 'vitest'
import { onTimerTicks, sendsDue } from './open-loop-schedule.ts'

describe('sendsDue', () => {
  it('makes the first send due at the start', () => {
    expect(sendsDue(0, 0.2)).toBe(1)
  })

  it('makes each send due the moment its intended time comes, not one interval later', () => {
    // At 0.2 sends per ms, send i is intended at 5i ms.
    expect(sendsDue(4.999, 0.2)).toBe(1)
    expect(sendsDue(5, 0.2)).toBe(2)
    expect(sendsDue(10, 0.2)).toBe(3)
  })

  it('counts every send whose time has come after a late wake-up', () => {
    // Intended at 0, 0.5, 1, …, 9.5 and 10 ms: a wake-up at 10 ms owes 21 sends.
    expect(sendsDue(10, 2)).toBe(21)
  })
})

describe('onTimerTicks', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('issues every send once its intended time has come, in order, and nothing after it is stopped', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'hrtime'] })
    const sends: { i: number; intendedUs: number; tickUs: number }[] = []
    const stop = onTimerTicks(20_000, (i, intendedUs, tickUs) => sends.push({ i, intendedUs, tickUs }))
    // At 20,000 a second, send i is intended 50i µs after the start: after 10 ms, sends 0 to 200 are due.
    vi.advanceTimersByTime(10)
    expect(sends.map((s) => s.i)).toEqual(Array.from({ length: 201 }, (_, i) => i))
    for (const s of sends) {
      expect(s.intendedUs - sends[0]!.intendedUs).toBeCloseTo(s.i * 50, 6)
      expect(s.tickUs).toBeGreaterThanOrEqual(s.intendedUs)
    }
    stop()
    vi.advanceTimersByTime(10)
    expect(sends).toHaveLength(201)
  })
})
