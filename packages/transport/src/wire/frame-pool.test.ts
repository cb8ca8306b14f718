/** Unit tests of FramePool: which frames it serves, and that memory comes back only when released. */
import { describe, expect, it } from 'vitest'
import { FramePool, POOLED_FRAME_MIN_BYTES, sharedFramePool } from './frame-pool.ts'

describe('FramePool', () => {
  it('serves frames between its minimum and its size from pooled memory, others as fresh buffers', () => {
    const pool = new FramePool(300_000)
    const small = pool.take(1000)
    expect(pool.pools(1000)).toBe(false)
    expect(small.length).toBe(1000)
    const big = pool.take(400_000)
    expect(pool.pools(400_000)).toBe(false)
    expect(big.length).toBe(400_000)
    const frame = pool.take(POOLED_FRAME_MIN_BYTES)
    expect(pool.pools(POOLED_FRAME_MIN_BYTES)).toBe(true)
    expect(frame.length).toBe(POOLED_FRAME_MIN_BYTES)
    expect(frame.buffer.byteLength).toBe(300_000)
  })

  it('hands out released memory again, never memory still taken', () => {
    const pool = new FramePool(200_000)
    const a = pool.take(100_000)
    const b = pool.take(150_000)
    expect(b.buffer).not.toBe(a.buffer)
    pool.release(a)
    const c = pool.take(120_000)
    expect(c.buffer).toBe(a.buffer)
    expect(c.length).toBe(120_000)
    expect(pool.take(100_000).buffer).not.toBe(b.buffer)
  })

  it('keeps at most four free frames', () => {
    const pool = new FramePool(100_000)
    const frames = Array.from({ length: 6 }, () => pool.take(100_000))
    for (const f of frames) pool.release(f)
    expect(pool.freeCount).toBe(4)
  })

  it('shares one pool per frame size across the process', () => {
    expect(sharedFramePool(123_456)).toBe(sharedFramePool(123_456))
    expect(sharedFramePool(123_456)).not.toBe(sharedFramePool(123_457))
  })
})
