/**
 * RangeDigest: a hash tree over the key space of a replicated map, so that two nodes find the keys on which they
 * differ by exchanging a few hashes instead of their data. Each key falls in one of 65,536 leaf ranges (by the top 16
 * bits of its hash); the hash of a range is the XOR of the fingerprints (key and version) of its entries, and every
 * inner node of the 4-ary tree above the leaves holds the XOR and the count of its four children. Equal hashes mean
 * equal contents (but for a 2^-32 chance); a differing range is narrowed down level by level.
 *
 * Hot path: `replace` runs on every write of a key already held (`add` on a new one). It changes the leaf only and
 * marks the inner nodes stale; they are recomputed from the leaves, all at once, when one is next read. A write then
 * touches one place in the 256 KiB leaf array instead of one per level (the lower levels are as large and as
 * scattered, so each was a cache miss at 100,000 keys), and catch-up, which reads the inner nodes every
 * `syncIntervalMs` or for a new peer, pays one pass of about 22,000 nodes when it does.
 */

/** Levels below the root: leaves are at depth 8, 4^8 = 65,536 of them. */
export const LEAF_DEPTH = 8
/** The index of the first node of each depth in the heap-ordered arrays. */
const DEPTH_START: readonly number[] = Array.from({ length: LEAF_DEPTH + 2 }, (_, d) => (4 ** d - 1) / 3)
export const LEAF_COUNT: number = 4 ** LEAF_DEPTH
const NODE_COUNT = DEPTH_START[LEAF_DEPTH + 1]!
const FIRST_LEAF = DEPTH_START[LEAF_DEPTH]!

/** The leaf range of a key hash. */
export function leafOf(keyHash: number): number {
  return keyHash >>> 16
}

/** The depth of a tree node (0 is the root). */
export function depthOf(node: number): number {
  let d = 0
  while (d < LEAF_DEPTH && node >= DEPTH_START[d + 1]!) d++
  return d
}

/** The first child of an inner node (its children are `child .. child + 3`). */
export function firstChild(node: number): number {
  return node * 4 + 1
}

/** The leaves under a tree node: `[from, to)`. */
export function leavesUnder(node: number): [number, number] {
  const depth = depthOf(node)
  const span = 4 ** (LEAF_DEPTH - depth)
  const from = (node - DEPTH_START[depth]!) * span
  return [from, from + span]
}

/** True for a valid tree node index (input from peers is checked with it). */
export function isTreeNode(node: unknown): node is number {
  return typeof node === 'number' && Number.isInteger(node) && node >= 0 && node < NODE_COUNT
}

/** True for a leaf node index. */
export function isLeafNode(node: number): boolean {
  return node >= FIRST_LEAF
}

/** The hash tree of one map replica. */
export class RangeDigest {
  readonly #hash = new Uint32Array(NODE_COUNT)
  readonly #count = new Uint32Array(NODE_COUNT)
  /** True when a leaf changed since the inner nodes were last computed. */
  #stale = false

  /** Adds an entry's fingerprint to its leaf. */
  add(leaf: number, fingerprint: number): void {
    this.#hash[FIRST_LEAF + leaf]! ^= fingerprint
    this.#count[FIRST_LEAF + leaf]!++
    this.#stale = true
  }

  /** Removes an entry's fingerprint from its leaf. */
  remove(leaf: number, fingerprint: number): void {
    this.#hash[FIRST_LEAF + leaf]! ^= fingerprint
    this.#count[FIRST_LEAF + leaf]!--
    this.#stale = true
  }

  /** Replaces an entry's fingerprint in its leaf: what `remove` then `add` do (a new version of a key already held). */
  replace(leaf: number, from: number, to: number): void {
    this.#hash[FIRST_LEAF + leaf]! ^= from ^ to
    this.#stale = true
  }

  hash(node: number): number {
    if (this.#stale && node < FIRST_LEAF) this.#recompute()
    return this.#hash[node]!
  }

  /** How many entries lie under `node`. */
  count(node: number): number {
    if (this.#stale && node < FIRST_LEAF) this.#recompute()
    return this.#count[node]!
  }

  /** Every inner node from its four children, deepest level first. */
  #recompute(): void {
    const hash = this.#hash
    const count = this.#count
    for (let node = FIRST_LEAF - 1; node >= 0; node--) {
      const child = node * 4 + 1
      hash[node] = hash[child]! ^ hash[child + 1]! ^ hash[child + 2]! ^ hash[child + 3]!
      count[node] = count[child]! + count[child + 1]! + count[child + 2]! + count[child + 3]!
    }
    this.#stale = false
  }
}
