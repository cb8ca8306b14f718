import { createMessageCodec, Pid } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { sizeBound, splicedBytesOfLastBound } from './size-bound.ts'

describe('sizeBound', () => {
  const codec = createMessageCodec()

  it.each([
    ['a number', 42.5],
    ['a string', 'héllo wörld ✓'.repeat(10)],
    ['a buffer', Buffer.alloc(64)],
    ['an object', { seq: 1, body: 'x'.repeat(40), nested: { a: [1, 2, 3], b: null, c: true } }],
    ['pids and dates', [new Pid('chat@10.0.0.5', 42, 7), new Date(0), undefined]],
    ['an empty object', {}],
    ['many one-letter keys', Object.fromEntries(Array.from({ length: 60 }, (_, i) => [String.fromCharCode(65 + i), null]))],
    ['unicode keys', { 'ключ': 1, '鍵': 'значение', '🔑': [1] }],
  ])('never under-counts %s', (_label, value) => {
    const bound = sizeBound(value, 4096)
    expect(bound).toBeGreaterThanOrEqual(0)
    expect(bound).toBeGreaterThanOrEqual(codec.encode(value).length)
  })

  it('never under-counts generated objects of every shape it accepts', () => {
    // A small deterministic generator (xorshift): nested records, arrays, unicode keys and strings, every scalar.
    let seed = 0x2545f491
    const next = (n: number): number => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) % n
    }
    const text = (): string => Array.from({ length: next(12) }, () => 'aZ0é✓😀'[next(6)]!).join('')
    const value = (depth: number): unknown => {
      switch (next(depth > 2 ? 6 : 8)) {
        case 0: return next(1000) - 500
        case 1: return next(2) === 0 ? 2 ** 40 + 0.5 : -(2 ** 53)
        case 2: return text()
        case 3: return [null, undefined, true][next(3)]
        case 4: return new Pid(`node${text()}@host`, next(100_000), next(100_000))
        case 5: return Buffer.alloc(next(40))
        case 6: return Array.from({ length: next(6) }, () => value(depth + 1))
        default: {
          const o: Record<string, unknown> = {}
          for (let k = next(8); k > 0; k--) o[text() + String(k)] = value(depth + 1)
          return o
        }
      }
    }
    let checked = 0
    for (let i = 0; i < 2000; i++) {
      const v = value(0)
      const bound = sizeBound(v, 1 << 20)
      if (bound < 0) continue
      checked++
      expect(bound, JSON.stringify(v)).toBeGreaterThanOrEqual(codec.encode(v).length)
    }
    expect(checked).toBeGreaterThan(1500)
  })

  it('gives up (-1) on what it cannot bound quickly or what is over the limit', () => {
    expect(sizeBound('x'.repeat(5000), 4096)).toBe(-1)
    expect(sizeBound(Buffer.alloc(5000), 4096)).toBe(-1)
    expect(sizeBound(new Map([[1, 2]]), 4096)).toBe(-1)
    expect(sizeBound(new Error('x'), 4096)).toBe(-1)
    expect(sizeBound(10n, 4096)).toBe(-1)
    expect(sizeBound(Array.from({ length: 100 }, (_, i) => i), 4096)).toBe(-1)
  })

  it('bounds only data: a class instance, a function, or an object with another prototype returns -1', () => {
    class Point {
      x = 1
    }
    expect(sizeBound(new Point(), 4096)).toBe(-1)
    expect(sizeBound({ at: 1, point: new Point() }, 4096)).toBe(-1)
    expect(sizeBound({ constructor: Object }, 4096)).toBe(-1)
    expect(sizeBound(Object.assign(Object.create({ greet() {} }) as object, { a: 1 }), 4096)).toBe(-1)
    // Its constructor is Object, inherited through a plain prototype, but it would arrive without that prototype.
    expect(sizeBound(Object.assign(Object.create({}) as object, { a: 1 }), 4096)).toBe(-1)
    expect(sizeBound({ nested: Object.create({}) as object }, 4096)).toBe(-1)
    // A field named `constructor`, and an object without a prototype, are data.
    expect(sizeBound({ constructor: 'x', a: 1 }, 4096)).toBeGreaterThanOrEqual(codec.encode({ constructor: 'x', a: 1 }).length)
    const bare = Object.assign(Object.create(null) as object, { a: 'b' })
    expect(sizeBound(bare, 4096)).toBeGreaterThanOrEqual(codec.encode(bare).length)
  })

  it('reports the large Buffers inside the last value it walked, which an encoding in parts leaves out', () => {
    const data = Buffer.alloc(100_000)
    const bound = sizeBound({ seq: 1, data, more: [Buffer.alloc(70_000), Buffer.alloc(1000), Buffer.alloc(20_000)] }, 1 << 30)
    expect(bound).toBeGreaterThan(191_000)
    expect(splicedBytesOfLastBound()).toBe(190_000)
    // Small Buffers, plain typed arrays (core splices Buffers only) and values not walked count nothing.
    sizeBound({ small: Buffer.alloc(16_000), typed: new Uint8Array(100_000) }, 1 << 30)
    expect(splicedBytesOfLastBound()).toBe(0)
    sizeBound({ data }, 1 << 30)
    sizeBound(Buffer.alloc(200_000), 1 << 30)
    expect(splicedBytesOfLastBound()).toBe(0)
  })
})
