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
  it('recomputes the inner nodes after a leaf changes, whenever they are read between writes', () => {
    const digest = new RangeDigest()
    const leaves = new Map<number, { hash: number; count: number }>()
    let seed = 12_345
    const next = (): number => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0)
    const firstLeaf = (4 ** LEAF_DEPTH - 1) / 3
    for (let step = 0; step < 2_000; step++) {
      const leaf = next() % 64 === 0 ? next() % LEAF_COUNT : next() % 16
      const fp = next()
      const held = leaves.get(leaf) ?? { hash: 0, count: 0 }
      if (held.count > 0 && next() % 3 === 0) {
        digest.replace(leaf, held.hash, fp)
        held.hash = fp
      } else {
        digest.add(leaf, fp)
        held.hash ^= fp
        held.count++
      }
      leaves.set(leaf, held)
      if (step % 97 !== 0) continue
      // The root and one node on each level over leaf 3 against sums computed from the leaves themselves.
      for (let node = firstLeaf + 3; ; node = (node - 1) >>> 2) {
        const [from, to] = leavesUnder(node)
        let hash = 0
        let count = 0
        for (const [l, v] of leaves) if (l >= from && l < to) (hash ^= v.hash), (count += v.count)
        expect(digest.hash(node)).toBe(hash >>> 0)
        expect(digest.count(node)).toBe(count)
        if (node === 0) break
      }
    }
  })
})
