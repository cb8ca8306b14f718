import { describe, expect, it } from 'vitest'
import { SPLIT_AT, SPLIT_MAP_PARTS, SplitMap, partOf } from './split-map.ts'

describe('SplitMap', () => {
  it('behaves as a Map for set, overwrite, get, delete, size and clear, short keys included', () => {
    const m = new SplitMap<number>()
    const keys = ['', 'a', 'ab', 'user:1', 'user:2', 'user:10', 'é', '🙂', 'x'.repeat(300)]
    keys.forEach((k, i) => m.set(k, i))
    expect(m.size).toBe(keys.length)
    m.set('user:1', 100)
    expect(m.size).toBe(keys.length)
    expect(keys.map((k) => m.get(k))).toEqual([0, 1, 2, 100, 4, 5, 6, 7, 8])
    expect(m.get('user:3')).toBeUndefined()
    expect(m.delete('user:2')).toBe(true)
    expect(m.delete('user:2')).toBe(false)
    expect(m.delete('never')).toBe(false)
    expect(m.size).toBe(keys.length - 1)
    expect([...m.values()].sort((a, b) => a - b)).toEqual([0, 1, 2, 5, 6, 7, 8, 100])
    m.clear()
    expect(m.size).toBe(0)
    expect(m.get('a')).toBeUndefined()
    expect([...m.values()]).toEqual([])
  })

  it('splits once it holds SPLIT_AT keys, and keeps every key, value and delete across the split', () => {
    const m = new SplitMap<number>()
    for (let i = 0; i < SPLIT_AT - 1; i++) m.set(`k${i}`, i)
    m.delete('k7')
    m.set('k7', 7)
    expect(m.split).toBe(false)
    m.set(`k${SPLIT_AT - 1}`, SPLIT_AT - 1)
    expect(m.split).toBe(true)
    expect(m.size).toBe(SPLIT_AT)
    for (let i = 0; i < SPLIT_AT; i++) if (m.get(`k${i}`) !== i) throw new Error(`k${i} read ${m.get(`k${i}`)} after the split`)
    m.set('k0', -1)
    expect(m.size).toBe(SPLIT_AT)
    expect(m.get('k0')).toBe(-1)
    expect(m.delete('k1')).toBe(true)
    expect(m.delete('k1')).toBe(false)
    expect(m.size).toBe(SPLIT_AT - 1)
    let sum = 0
    for (const v of m.values()) sum += v
    expect(sum).toBe((SPLIT_AT * (SPLIT_AT - 1)) / 2 - 1 - 1)
    m.clear()
    expect(m.split).toBe(false)
    expect(m.size).toBe(0)
    expect(m.get('k5')).toBeUndefined()
  })

  it('spreads keys that differ in their last characters, as ids and counters do, over many parts', () => {
    const counters = new Set<number>()
    const uuids = new Set<number>()
    for (let i = 0; i < 100_000; i++) {
      counters.add(partOf(`user:${i}`))
      uuids.add(partOf(`session-${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}`))
    }
    // Without the split every key would be in one part: a Map of all of them, rehashed in one step as it grows.
    expect(counters.size).toBeGreaterThan(SPLIT_MAP_PARTS / 4)
    expect(uuids.size).toBeGreaterThan(SPLIT_MAP_PARTS / 2)
  })

  it('keeps every part a share of the keys: no part of a million counter keys holds 1 % of them', () => {
    const counts = new Array<number>(SPLIT_MAP_PARTS).fill(0)
    for (let i = 0; i < 1_000_000; i++) counts[partOf(`user:${i}`)]!++
    expect(Math.max(...counts)).toBeLessThan(10_000)
  })
})
