/**
 * The reconnect backoff's delays, in virtual time. A node sending steadily to a dead peer, dialling it only that often,
 * is test/reliability/dead-peer-dials.e2e.test.ts.
 */
import { seededRandom } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { ReconnectBackoff } from './reconnect-backoff.ts'

describe('ReconnectBackoff', () => {
  it('doubles from the minimum up to the cap, with the jitter in the upper half, and resets', () => {
    const b = new ReconnectBackoff()
    const random = seededRandom(1)
    const waits: number[] = []
    for (let i = 0; i < 8; i++) {
      b.failed(1000, 200, 5000, random)
      waits.push(b.waitMs(1000))
    }
    const bases = [200, 400, 800, 1600, 3200, 5000, 5000, 5000]
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(bases[i]! / 2)
      expect(w).toBeLessThanOrEqual(bases[i]!)
    })
    b.reset()
    expect(b.waitMs(1000)).toBe(0)
  })
})
