import { describe, expect, it } from 'vitest'
import { Entry } from './entry.ts'

describe('Entry', () => {
  it('reads back the clock times it was given: a clock of this era, the largest safe integer, and larger values', () => {
    const e = new Entry('k', 1)
    for (const ms of [0, 1, 4_194_303, 4_194_304, 1_796_401_905_979, 2 ** 40 + 12_345, Number.MAX_SAFE_INTEGER, 2 ** 60, 2.5]) {
      e.wall = ms
      e.expiresAt = ms + 1
      expect(e.wall).toBe(ms)
      expect(e.expiresAt).toBe(ms + 1)
    }
    e.expiresAt = 0
    expect(e.expiresAt).toBe(0)
  })

  it('reads back its key hash unsigned, as computed and sent, above 2^31 too, and tells it from any other', () => {
    for (const hash of [0, 1, 2 ** 31 - 1, 2 ** 31, 0xdeadbeef, 2 ** 32 - 1]) {
      const e = new Entry('k', hash)
      expect(e.keyHash).toBe(hash)
      expect(e.hasHash(hash)).toBe(true)
      expect(e.hasHash((hash ^ 1) >>> 0)).toBe(false)
      expect(e.hasHash((hash + 2 ** 31) >>> 0)).toBe(false)
    }
  })
})
