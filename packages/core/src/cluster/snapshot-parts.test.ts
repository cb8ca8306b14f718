import { describe, expect, it } from 'vitest'
import { Pid } from '../pid.ts'
import { createActorSystem } from '../system/actor-system.ts'
import { SNAPSHOT_PART_BYTES, SnapshotGathering, partBytesOf, partFields, partFieldsValid, splitSnapshot } from './snapshot-parts.ts'

describe('snapshot parts', () => {
  it('cuts items into parts by size, an item larger than a part alone in its own', () => {
    expect(splitSnapshot([], () => 1, 10)).toEqual([[]])
    expect(splitSnapshot([4, 4, 4, 20, 1, 9, 1], (n) => n, 10)).toEqual([[4, 4], [4], [20], [1, 9], [1]])
  })

  it('numbers the parts of a snapshot in more than one, and leaves one sent whole unnumbered', () => {
    expect(partFields(0, 1)).toEqual({})
    expect([0, 1, 2].map((i) => partFields(i, 3))).toEqual([{ part: 0, more: true }, { part: 1, more: true }, { part: 2 }])
    expect(partFieldsValid({})).toBe(true)
    expect(partFieldsValid({ part: 1.5 })).toBe(false)
    expect(partFieldsValid({ part: -1 })).toBe(false)
    expect(partFieldsValid({ part: 0, more: 'yes' as unknown as boolean })).toBe(false)
  })

  it('gathers the parts of a peer\'s snapshot, starting over at part 0 or for another incarnation', () => {
    const g = new SnapshotGathering<string>()
    const peer = new Pid('b@h', 1, 1)
    expect(g.receive(peer, {}, ['whole'])).toEqual(['whole'])
    expect(g.receive(peer, { part: 0, more: true }, ['a'])).toBeUndefined()
    expect(g.receive(peer, { part: 1, more: true }, ['b'])).toBeUndefined()
    expect(g.receive(peer, { part: 2 }, ['c'])).toEqual(['a', 'b', 'c'])
    // A snapshot cut off (its node went away and came back) is not mixed into the next one.
    g.receive(peer, { part: 0, more: true }, ['stale'])
    expect(g.receive(peer, { part: 0, more: true }, ['x'])).toBeUndefined()
    expect(g.receive(peer, { part: 1 }, ['y'])).toEqual(['x', 'y'])
    g.receive(peer, { part: 0, more: true }, ['old incarnation'])
    expect(g.receive(new Pid('b@h', 1, 2), { part: 1 }, ['new'])).toEqual(['new'])
    g.receive(peer, { part: 0, more: true }, ['dropped'])
    g.drop('b@h')
    expect(g.receive(peer, { part: 1 }, ['after'])).toEqual(['after'])
  })

  it('cuts at 1 MiB without a distribution that gives its limit (a quarter of the transport\'s: tested over sockets)', () => {
    expect(partBytesOf(createActorSystem({ node: 'a@h' }))).toBe(SNAPSHOT_PART_BYTES)
  })
})
