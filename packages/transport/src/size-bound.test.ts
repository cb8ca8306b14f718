import { createMessageCodec, Pid } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { sizeBound } from './size-bound.ts'

describe('sizeBound', () => {
  const codec = createMessageCodec()

  it.each([
    ['a number', 42.5],
    ['a string', 'héllo wörld ✓'.repeat(10)],
    ['a buffer', Buffer.alloc(64)],
    ['an object', { seq: 1, body: 'x'.repeat(40), nested: { a: [1, 2, 3], b: null, c: true } }],
    ['pids and dates', [new Pid('chat@10.0.0.5', 42, 7), new Date(0), undefined]],
    ['an empty object', {}],
  ])('never under-counts %s', (_label, value) => {
    const bound = sizeBound(value, 4096)
    expect(bound).toBeGreaterThanOrEqual(0)
    expect(bound).toBeGreaterThanOrEqual(codec.encode(value).length)
  })

  it('gives up (-1) on what it cannot bound quickly or what is over the limit', () => {
    expect(sizeBound('x'.repeat(5000), 4096)).toBe(-1)
    expect(sizeBound(Buffer.alloc(5000), 4096)).toBe(-1)
    expect(sizeBound(new Map([[1, 2]]), 4096)).toBe(-1)
    expect(sizeBound(new Error('x'), 4096)).toBe(-1)
    expect(sizeBound(10n, 4096)).toBe(-1)
    expect(sizeBound(Array.from({ length: 100 }, (_, i) => i), 4096)).toBe(-1)
  })
})
