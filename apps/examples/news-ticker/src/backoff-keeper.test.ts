import { seededRandom } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { backoffDelayMs } from './backoff-keeper.ts'

describe('backoffDelayMs', () => {
  it('doubles from the initial delay, caps it, and jitters the upper half only', () => {
    expect(backoffDelayMs(1, 100, 1_000, () => 0)).toBe(50)
    expect(backoffDelayMs(1, 100, 1_000, () => 1)).toBe(100)
    expect(backoffDelayMs(3, 100, 1_000, () => 1)).toBe(400)
    expect(backoffDelayMs(10, 100, 1_000, () => 1)).toBe(1_000)
    expect(backoffDelayMs(100, 100, 1_000, () => 0)).toBe(500)
    const random = seededRandom(7)
    for (let attempt = 1; attempt < 20; attempt++) {
      const delay = backoffDelayMs(attempt, 100, 1_000, random)
      expect(delay).toBeGreaterThanOrEqual(50)
      expect(delay).toBeLessThanOrEqual(1_000)
    }
  })
})
