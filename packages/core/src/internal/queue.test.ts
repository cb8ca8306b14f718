import { describe, expect, it } from 'vitest'
import { Queue } from './queue.ts'

describe('Queue', () => {
  it('keeps FIFO order across compactions', () => {
    const q = new Queue<number>()
    for (let i = 0; i < 5000; i++) q.push(i)
    for (let i = 0; i < 3000; i++) expect(q.shift()).toBe(i)
    for (let i = 5000; i < 6000; i++) q.push(i)
    expect(q.length).toBe(3000)
    for (let i = 3000; i < 6000; i++) expect(q.shift()).toBe(i)
    expect(q.shift()).toBeUndefined()
    expect(q.length).toBe(0)
  })

  it('removes at an index and by predicate', () => {
    const q = new Queue<number>()
    for (let i = 0; i < 6; i++) q.push(i)
    q.shift()
    expect(q.removeAt(2)).toBe(3)
    q.removeWhere((n) => n % 2 === 0)
    expect([q.shift(), q.shift(), q.shift()]).toEqual([1, 5, undefined])
  })
})
