import { describe, expect, it } from 'vitest'
import { Entry } from './entry.ts'
import { TombstoneAcks } from './tombstone-acks.ts'

const tombstone = (key: string, fp: number): Entry => Object.assign(new Entry(key, 1), { deleted: true, fp })

describe('TombstoneAcks', () => {
  it('hands out the tombstones of a batch once every current peer acknowledged it, oldest batches first', () => {
    const acks = new TombstoneAcks(1000)
    acks.addPeer('b@h')
    acks.addPeer('c@h')
    const [x, y] = [tombstone('x', 1), tombstone('y', 2)]
    const first = acks.stamp([x])
    const second = acks.stamp([y])
    acks.acked('b@h', second)
    expect(acks.collectable(0).entries).toEqual([])
    acks.acked('c@h', first)
    expect(acks.collectable(0)).toEqual({ entries: [x], counted: ['b@h', 'c@h'] })
    acks.acked('c@h', second)
    expect(acks.collectable(0).entries).toEqual([y])
    expect(acks.waiting).toBe(0)
  })

  it('leaves to age a tombstone written again since, sent before a peer joined, or while a peer that left may return', () => {
    const acks = new TombstoneAcks(1000)
    acks.addPeer('b@h')
    const rewritten = tombstone('r', 1)
    const early = tombstone('e', 2)
    acks.stamp([rewritten])
    const seq = acks.stamp([early])
    rewritten.fp = 99
    // c joins after both batches went out: nothing it acknowledges covers them.
    acks.addPeer('c@h')
    acks.acked('b@h', seq)
    acks.acked('c@h', seq)
    expect(acks.collectable(0).entries).toEqual([])
    expect(acks.waiting).toBe(0)
    const late = tombstone('l', 3)
    const next = acks.stamp([late])
    acks.dropPeer('c@h', 100)
    acks.acked('b@h', next)
    expect(acks.collectable(500).entries).toEqual([])
    // c left 1000 ms ago: it no longer holds the tombstones back.
    expect(acks.collectable(1100).entries).toEqual([late])
  })

  it('follows the collect of a peer only when it counted every peer this node has', () => {
    const acks = new TombstoneAcks(1000)
    acks.addPeer('a@h')
    acks.addPeer('c@h')
    expect(acks.mayFollow('a@h', ['c@h'], 0)).toBe(true)
    expect(acks.mayFollow('a@h', ['b@h'], 0)).toBe(false)
    acks.dropPeer('c@h', 0)
    expect(acks.mayFollow('a@h', [], 500)).toBe(false)
    expect(acks.mayFollow('a@h', [], 1000)).toBe(true)
  })

  it('ignores acknowledgements from unknown peers or of batches never sent', () => {
    const acks = new TombstoneAcks(1000)
    acks.addPeer('b@h')
    const t = tombstone('t', 1)
    acks.stamp([t])
    acks.acked('b@h', 5)
    acks.acked('z@h', 1)
    expect(acks.collectable(0).entries).toEqual([])
    acks.acked('b@h', 1)
    expect(acks.collectable(0).entries).toEqual([t])
  })
})
