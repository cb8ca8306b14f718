import { describe, expect, it } from 'vitest'
import { PoolStatus } from './pool-status.ts'

describe('PoolStatus', () => {
  it('reports the p99 of the checkout waits and counts replacements beyond the pool size', () => {
    const status = new PoolStatus(2)
    expect(status.stats().queueWaitP99Ms).toBe(0)
    for (let i = 1; i <= 100; i++) status.observeWait(i)
    status.started = 5
    expect(status.stats()).toMatchObject({ size: 2, queueWaitP99Ms: 99, restarts: 3 })
  })

  it('keeps a throwing listener away from the pool', () => {
    const status = new PoolStatus(1)
    const seen: number[] = []
    status.on('connectionUp', () => {
      throw new Error('listener bug')
    })
    status.on('connectionUp', (e) => seen.push(e.backendPid))
    status.emit('connectionUp', { backendPid: 42, alive: 1 })
    expect(seen).toEqual([42])
  })
})
