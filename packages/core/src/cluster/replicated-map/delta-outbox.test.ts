import { describe, expect, it } from 'vitest'
import { DeltaOutbox } from './delta-outbox.ts'
import { Entry } from './entry.ts'

describe('DeltaOutbox', () => {
  it('keeps one pending entry per key, asks for one flush at a time, and hands entries out oldest first', () => {
    const outbox = new DeltaOutbox()
    const [lonely, x, y, z, gone] = ['lonely', 'x', 'y', 'z', 'gone'].map((k) => new Entry(k, 1)) as [Entry, Entry, Entry, Entry, Entry]
    expect(outbox.mark(lonely)).toBe(false)
    expect(lonely.pending).toBe(false)
    outbox.addPeer('b@h')
    outbox.addPeer('c@h')
    expect(outbox.mark(x)).toBe(true)
    expect(outbox.mark(y)).toBe(false)
    expect(outbox.mark(x)).toBe(false)
    expect(outbox.sizes()).toEqual({ 'b@h': 2, 'c@h': 2 })
    expect(outbox.take(1).map((e) => e.key)).toEqual(['x'])
    expect(x.pending).toBe(false)
    expect(outbox.hasPending()).toBe(true)
    // Changed again after it was taken: it waits again.
    outbox.mark(x)
    outbox.mark(gone)
    gone.held = false
    expect(outbox.take(10).map((e) => e.key)).toEqual(['y', 'x'])
    expect(outbox.hasPending()).toBe(false)
    outbox.mark(z)
    outbox.dropPeer('b@h')
    outbox.dropPeer('c@h')
    expect(z.pending).toBe(false)
    expect(outbox.hasPending()).toBe(false)
    outbox.flushQueued = false
    expect(outbox.mark(z)).toBe(false)
    expect(outbox.nodes()).toEqual([])
  })

  it('counts the entries ever queued and ever taken, so a caller can tell when the ones queued before it have left', () => {
    const outbox = new DeltaOutbox()
    outbox.addPeer('b@h')
    const [x, y, z, gone] = ['x', 'y', 'z', 'gone'].map((k) => new Entry(k, 1)) as [Entry, Entry, Entry, Entry]
    outbox.mark(x)
    outbox.mark(y)
    outbox.mark(x) // pending already: queued once
    expect([outbox.queued, outbox.taken]).toEqual([2, 0])
    const before = outbox.queued
    outbox.take(1)
    outbox.mark(z)
    expect(outbox.taken).toBe(1)
    outbox.take(1)
    // x and y, queued before `before` was read, have left; z has not.
    expect(outbox.taken >= before).toBe(true)
    expect([outbox.queued, outbox.taken]).toEqual([3, 2])
    outbox.mark(gone)
    gone.held = false
    outbox.take(10) // z sent, gone skipped: both count as taken
    expect([outbox.queued, outbox.taken]).toEqual([4, 4])
    outbox.mark(x)
    outbox.dropPeer('b@h') // the last peer: what was pending is dropped, and counts as taken
    expect([outbox.queued, outbox.taken]).toEqual([5, 5])
  })

  it('ends a take after the entry that fills the batch, leaving the rest pending in order', () => {
    const outbox = new DeltaOutbox()
    outbox.addPeer('b@h')
    const entries = ['a', 'b', 'c', 'd'].map((k) => new Entry(k, 1))
    for (const e of entries) outbox.mark(e)
    entries[0]!.held = false
    const seen: string[] = []
    const taken = outbox.take(10, (e) => {
      seen.push(e.key)
      return e.key === 'c'
    })
    // The entry no longer held is skipped without being shown to `full`.
    expect(taken.map((e) => e.key)).toEqual(['b', 'c'])
    expect(seen).toEqual(['b', 'c'])
    expect(entries[3]!.pending).toBe(true)
    expect(outbox.take(10).map((e) => e.key)).toEqual(['d'])
  })

  it('hands out every entry once, in order, across batches, partial takes and a backlog larger than it keeps', () => {
    const outbox = new DeltaOutbox()
    outbox.addPeer('b@h')
    let next = 0
    const taken: string[] = []
    for (const [marks, takes] of [[5, [2, 10]], [20_000, [7_000, 20_000]], [3, [1, 1, 1, 1]], [160, [512]]] as const) {
      const keys = Array.from({ length: marks }, () => `k${next++}`)
      for (const key of keys) outbox.mark(new Entry(key, 1))
      for (const max of takes) taken.push(...outbox.take(max).map((e) => e.key))
      expect(outbox.hasPending()).toBe(false)
      expect(taken.splice(0)).toEqual(keys)
    }
  })
})
