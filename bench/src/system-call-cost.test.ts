import { describe, expect, it } from 'vitest'
import { describeSystemCallCost, measureSystemCallCost } from './system-call-cost.ts'

describe('measureSystemCallCost', () => {
  it('times the calls it was asked for and reports a cost per call', () => {
    const c = measureSystemCallCost(2_000, 3)
    expect(c.calls).toBe(2_000)
    expect(c.rounds).toBe(3)
    expect(Number.isFinite(c.usPerCall)).toBe(true)
    expect(c.usPerCall).toBeGreaterThan(0)
  })

  it('refuses a count that would measure nothing', () => {
    expect(() => measureSystemCallCost(0)).toThrow('calls must be a whole number of at least 1, got 0')
    expect(() => measureSystemCallCost(1.5)).toThrow('calls must be a whole number of at least 1, got 1.5')
    expect(() => measureSystemCallCost(100, 0)).toThrow('rounds must be a whole number of at least 1, got 0')
  })
})

describe('describeSystemCallCost', () => {
  it('says the cost, the calls and the rounds', () => {
    expect(describeSystemCallCost({ calls: 100_000, rounds: 3, usPerCall: 1.6849 })).toBe('1.68 µs for each getppid from JavaScript (100,000 calls, 3 rounds)')
    expect(describeSystemCallCost({ calls: 10, rounds: 1, usPerCall: 0.2 })).toBe('0.20 µs for each getppid from JavaScript (10 calls, 1 round)')
  })
})
