import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random.ts'
import { MinHeap } from './min-heap.ts'

describe('MinHeap', () => {
  it('pops items in the order of their times', () => {
    const random = seededRandom(7)
    const heap = new MinHeap<number>()
    const times = Array.from({ length: 500 }, () => Math.floor(random() * 1000))
    for (const t of times) heap.push(t, t)
    expect(heap.size).toBe(500)
    expect(heap.peekAt()).toBe(Math.min(...times))
    const out: number[] = []
    for (let x = heap.pop(); x !== undefined; x = heap.pop()) out.push(x)
    expect(out).toEqual([...times].sort((a, b) => a - b))
    expect(heap.pop()).toBeUndefined()
  })
})
