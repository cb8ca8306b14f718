import { describe, expect, it } from 'vitest'
import { Queue } from './queue.ts'

describe('Queue', () => {
  it('keeps FIFO order across growth and wrap-around', () => {
    const q = new Queue<number>()
    for (let i = 0; i < 5000; i++) q.push(i)
    for (let i = 0; i < 3000; i++) expect(q.shift()).toBe(i)
    for (let i = 5000; i < 9000; i++) q.push(i)
    expect(q.length).toBe(6000)
    for (let i = 3000; i < 9000; i++) expect(q.shift()).toBe(i)
    expect(q.shift()).toBeUndefined()
    expect(q.length).toBe(0)
  })

  it('wraps around without growing when it drains as fast as it fills', () => {
    const q = new Queue<number>()
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 10; i++) q.push(round * 10 + i)
      for (let i = 0; i < 10; i++) expect(q.shift()).toBe(round * 10 + i)
    }
  })

  it('keeps order when it renews its array after draining, whatever the fill and wrap', () => {
    const q = new Queue<number>()
    let next = 0
    let expected = 0
    // Bursts of changing sizes, each drained to empty (the renewal) or left with a remainder (no renewal), so the ring
    // renews at different heads and capacities; the largest grow it past the capacities that are renewed.
    for (const burst of [3, 16, 17, 40, 1, 100, 7, 64, 65, 2, 9000, 5, 9000]) {
      for (let i = 0; i < burst; i++) q.push(next++)
      const keep = burst % 3
      while (q.length > keep) expect(q.shift()).toBe(expected++)
      expect(q.at(keep - 1)).toBe(keep === 0 ? undefined : next - 1)
    }
    while (q.length > 0) expect(q.shift()).toBe(expected++)
    expect(expected).toBe(next)
    q.push(-1)
    expect(q.peek()).toBe(-1)
  })

  it('removes at an index (also across the wrap) and by predicate', () => {
    const q = new Queue<number>()
    for (let i = 0; i < 14; i++) q.push(i)
    for (let i = 0; i < 10; i++) q.shift()
    for (let i = 14; i < 20; i++) q.push(i) // wraps: the ring holds 10..19 across its end
    expect(q.at(0)).toBe(10)
    expect(q.removeAt(5)).toBe(15)
    expect(q.at(5)).toBe(16)
    q.removeWhere((n) => n % 2 === 0)
    const rest: number[] = []
    while (q.length > 0) rest.push(q.shift()!)
    expect(rest).toEqual([11, 13, 17, 19])
    expect(q.removeAt(3)).toBeUndefined()
  })
})
