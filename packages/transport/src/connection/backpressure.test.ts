/** Unit tests of Backpressure: busy at the high mark, drain below the low mark. */
import { describe, expect, it } from 'vitest'
import { Backpressure } from './backpressure.ts'

describe('Backpressure', () => {
  it('is busy at the high mark and drains below the low mark', async () => {
    const bp = new Backpressure(100, 10)
    expect(bp.isBusy(99)).toBe(false)
    expect(bp.isBusy(100)).toBe(true)
    await bp.drain(5)
    let drained = false
    const p = bp.drain(50).then(() => (drained = true))
    bp.update(20)
    await Promise.resolve()
    expect(drained).toBe(false)
    bp.update(9)
    await p
    expect(drained).toBe(true)
    expect(bp.hasWaiters).toBe(false)
  })

  it('wakes every waiter on release', async () => {
    const bp = new Backpressure(100, 10)
    const waits = [bp.drain(100), bp.drain(100)]
    bp.release()
    await Promise.all(waits)
  })
})
