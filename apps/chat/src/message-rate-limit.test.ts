import { describe, expect, it } from 'vitest'
import { MessageRateLimit } from './message-rate-limit.ts'

/** A clock the test moves by hand. */
function handClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000
  return { now: () => t, advance: (ms) => void (t += ms) }
}

/** How many of `count` frames at once the limit lets through. */
function passing(limit: MessageRateLimit, count: number): number {
  let passed = 0
  for (let i = 0; i < count; i++) if (limit.take()) passed++
  return passed
}

describe('MessageRateLimit', () => {
  it('lets a burst through at once, then refuses until the bucket refills', () => {
    const clock = handClock()
    const limit = new MessageRateLimit(20, 40, clock.now)
    expect(passing(limit, 100)).toBe(40)
    clock.advance(49)
    expect(limit.take()).toBe(false)
    clock.advance(1) // 50 ms at 20 a second: one frame's worth
    expect(limit.take()).toBe(true)
    expect(limit.take()).toBe(false)
  })

  it('holds a client sending steadily at the rate, and only at the rate', () => {
    const clock = handClock()
    const limit = new MessageRateLimit(10, 5, clock.now)
    expect(passing(limit, 5)).toBe(5)
    let passed = 0
    // Ten seconds of a client trying a frame every 10 ms (100 a second) passes 10 a second.
    for (let i = 0; i < 1_000; i++) {
      clock.advance(10)
      if (limit.take()) passed++
    }
    expect(passed).toBe(100)
  })

  it('never lets more through than the burst plus the rate times the time, at rates whose interval is not whole', () => {
    for (const [perSecond, burst] of [[3, 1], [7, 4], [33, 10]] as const) {
      const clock = handClock()
      const limit = new MessageRateLimit(perSecond, burst, clock.now)
      let passed = 0
      for (let ms = 0; ms < 10_000; ms++) {
        if (limit.take()) passed++
        clock.advance(1)
      }
      expect(passed).toBeLessThanOrEqual(burst + perSecond * 10)
      // And not much less: a client trying every millisecond can lose at most a millisecond an interval.
      expect(passed).toBeGreaterThanOrEqual(Math.floor(perSecond * 10 * 0.99))
    }
  })

  it('refills no further than the burst, however long the client was quiet', () => {
    const clock = handClock()
    const limit = new MessageRateLimit(20, 3, clock.now)
    clock.advance(3_600_000)
    expect(passing(limit, 10)).toBe(3)
  })

  it('refuses settings that could never let a frame through', () => {
    expect(() => new MessageRateLimit(0, 10)).toThrow(/perSecond > 0/)
    expect(() => new MessageRateLimit(5, 0)).toThrow(/burst >= 1/)
    expect(() => new MessageRateLimit(Number.NaN, 5)).toThrow(RangeError)
  })
})
