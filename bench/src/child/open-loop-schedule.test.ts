import { afterEach, describe, expect, it, vi } from 'vitest'
import { onTicks, sendsDue } from './open-loop-schedule.ts'

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

describe('onTicks', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('issues every send once its intended time has come, in order, from the first tick on, and stops its ticks when stopped', () => {
    vi.useFakeTimers({ toFake: ['hrtime'] })
    let tick: () => void = () => undefined
    let stopped = false
    const ticks = (t: () => void): (() => void) => {
      tick = t
      return () => {
        stopped = true
      }
    }
    const sends: { i: number; intendedUs: number; tickUs: number }[] = []
    const stop = onTicks(20_000, (i, intendedUs, tickUs) => sends.push({ i, intendedUs, tickUs }), ticks)
    // Nothing is due before the first tick: the schedule starts there.
    vi.advanceTimersByTime(5)
    expect(sends).toHaveLength(0)
    tick()
    expect(sends.map((s) => s.i)).toEqual([0])
    // At 20,000 a second, send i is intended 50i µs after the first tick: 10 ms later, sends 0 to 200 are due.
    vi.advanceTimersByTime(10)
    tick()
    expect(sends.map((s) => s.i)).toEqual(Array.from({ length: 201 }, (_, i) => i))
    for (const s of sends) {
      expect(s.intendedUs - sends[0]!.intendedUs).toBeCloseTo(s.i * 50, 6)
      expect(s.tickUs).toBeGreaterThanOrEqual(s.intendedUs)
    }
    stop()
    expect(stopped).toBe(true)
  })
})
