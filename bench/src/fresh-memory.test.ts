import { describe, expect, it } from 'vitest'
import { describeFreshMemory, measureFreshMemory } from './fresh-memory.ts'

describe('measureFreshMemory', () => {
  it('finds the first write to fresh memory dearer than the second, as a page fault is', () => {
    // 64 MiB: over glibc's largest threshold for serving an allocation from memory the process already has.
    const f = measureFreshMemory(64 * 1024 * 1024, 2)
    expect(f.bytes).toBe(64 * 1024 * 1024)
    expect(f.tries).toBe(2)
    expect(Number.isFinite(f.firstUsPer4KiB) && Number.isFinite(f.againUsPer4KiB)).toBe(true)
    expect(f.againUsPer4KiB).toBeGreaterThan(0)
    expect(f.firstUsPer4KiB).toBeGreaterThan(f.againUsPer4KiB)
  })

  it('refuses a size or a count that would measure nothing', () => {
    expect(() => measureFreshMemory(100)).toThrow('bytes must be a whole number of at least 4096, got 100')
    expect(() => measureFreshMemory(Number.NaN)).toThrow('bytes must be a whole number of at least 4096, got NaN')
    expect(() => measureFreshMemory(4096, 0)).toThrow('tries must be a whole number of at least 1, got 0')
  })
})

describe('describeFreshMemory', () => {
  it('says the two costs, the size and the tries', () => {
    expect(describeFreshMemory({ bytes: 64 * 1024 * 1024, tries: 3, firstUsPer4KiB: 10.123, againUsPer4KiB: 0.0249 })).toBe(
      '10.12 µs for each 4 KiB written the first time, 0.02 µs once written (64 MiB, 3 tries)',
    )
    expect(describeFreshMemory({ bytes: 8192, tries: 1, firstUsPer4KiB: 0.5, againUsPer4KiB: 0.01 })).toBe(
      '0.50 µs for each 4 KiB written the first time, 0.01 µs once written (8192 bytes, 1 try)',
    )
  })
})
