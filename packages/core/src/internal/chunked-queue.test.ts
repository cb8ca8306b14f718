import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random.ts'
import { ChunkedQueue } from './chunked-queue.ts'

describe('ChunkedQueue', () => {
  it('gives items back in the order they came, across chunks', () => {
    const q = new ChunkedQueue<number>()
    expect(q.shift()).toBeUndefined()
    for (let i = 0; i < 5_000; i++) q.push(i)
    expect(q.length).toBe(5_000)
    for (let i = 0; i < 5_000; i++) expect(q.shift()).toBe(i)
    expect(q.length).toBe(0)
    expect(q.shift()).toBeUndefined()
    q.push(7)
    expect(q.shift()).toBe(7)
  })

  it('agrees with an array under random pushes and shifts, short and long', () => {
    const random = seededRandom(42)
    const q = new ChunkedQueue<number>()
    const model: number[] = []
    let head = 0
    let next = 0
    let disagreements = 0
    for (let step = 0; step < 200_000; step++) {
      // Phases that grow the queue past several chunks, then drain it to empty, then keep it short.
      const growing = Math.floor(step / 20_000) % 2 === 0
      if (random() < (growing ? 0.7 : 0.3)) {
        q.push(next)
        model.push(next++)
      } else if (q.shift() !== (head < model.length ? model[head++] : undefined)) {
        disagreements++
      }
      if (q.length !== model.length - head) disagreements++
    }
    while (head < model.length) if (q.shift() !== model[head++]) disagreements++
    expect(q.shift()).toBeUndefined()
    expect(disagreements).toBe(0)
  })
})
