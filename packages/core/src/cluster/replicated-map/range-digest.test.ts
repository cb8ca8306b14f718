import { describe, expect, it } from 'vitest'
import { LEAF_COUNT, LEAF_DEPTH, RangeDigest, depthOf, firstChild, isLeafNode, isTreeNode, leavesUnder } from './range-digest.ts'

describe('RangeDigest', () => {
  it('lays out a 4-ary tree over 65,536 leaf ranges', () => {
    expect(LEAF_COUNT).toBe(65_536)
    expect(depthOf(0)).toBe(0)
    expect(firstChild(0)).toBe(1)
    expect(leavesUnder(0)).toEqual([0, LEAF_COUNT])
    expect(leavesUnder(1)).toEqual([0, LEAF_COUNT / 4])
    expect(leavesUnder(4)).toEqual([(3 * LEAF_COUNT) / 4, LEAF_COUNT])
    const firstLeaf = (4 ** LEAF_DEPTH - 1) / 3
    expect(isLeafNode(firstLeaf)).toBe(true)
    expect(isLeafNode(firstLeaf - 1)).toBe(false)
    expect(depthOf(firstLeaf + 5)).toBe(LEAF_DEPTH)
    expect(leavesUnder(firstLeaf + 5)).toEqual([5, 6])
    expect(isTreeNode(firstLeaf + LEAF_COUNT)).toBe(false)
    expect(isTreeNode(-1)).toBe(false)
    expect(isTreeNode(1.5)).toBe(false)
  })

  it('keeps the XOR and the count of every range up to the root, whatever the order of adds and removes', () => {
    const a = new RangeDigest()
    const b = new RangeDigest()
    a.add(7, 0xdead)
    a.add(40_000, 0xbeef)
    a.add(7, 0x1234)
    b.add(7, 0x1234)
    b.add(40_000, 0xbeef)
    b.add(9, 0x5555)
    b.remove(9, 0x5555)
    b.add(7, 0xdead)
    for (const node of [0, 1, 3, firstChild(firstChild(1))]) expect(b.hash(node)).toBe(a.hash(node))
    expect(a.count(0)).toBe(3)
    expect(a.hash(0)).toBe((0xdead ^ 0xbeef ^ 0x1234) >>> 0)
    expect(a.count(3)).toBe(1)
    b.add(7, 1)
    expect(b.hash(0)).not.toBe(a.hash(0))
    expect(b.hash(3)).toBe(a.hash(3))
  })
})
