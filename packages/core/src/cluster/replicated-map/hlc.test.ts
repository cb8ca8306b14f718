import { describe, expect, it } from 'vitest'
import { TestClock } from '../../testing/test-clock.ts'
import { HybridLogicalClock, compareVersions } from './hlc.ts'

describe('HybridLogicalClock', () => {
  it('follows the clock, counts writes within one millisecond, and stays ahead of versions it has seen', async () => {
    const clock = new TestClock(1000)
    const hlc = new HybridLogicalClock(clock)
    hlc.tick()
    expect([hlc.wall, hlc.counter]).toEqual([1000, 0])
    hlc.tick()
    expect([hlc.wall, hlc.counter]).toEqual([1000, 1])
    hlc.observe(5000, 7)
    hlc.tick()
    expect([hlc.wall, hlc.counter]).toEqual([5000, 8])
    hlc.observe(10, 99)
    hlc.tick()
    expect([hlc.wall, hlc.counter]).toEqual([5000, 9])
    await clock.advance(6000)
    hlc.tick()
    expect([hlc.wall, hlc.counter]).toEqual([7000, 0])
  })

  it('orders versions by wall, then counter, then node name', () => {
    expect(compareVersions(1, 0, 'b', 2, 0, 'a')).toBeLessThan(0)
    expect(compareVersions(2, 1, 'a', 2, 0, 'b')).toBeGreaterThan(0)
    expect(compareVersions(2, 1, 'a', 2, 1, 'b')).toBeLessThan(0)
    expect(compareVersions(2, 1, 'b', 2, 1, 'b')).toBe(0)
  })
})
