/**
 * EntryIndex: a replica's entries by key, as a hash table of its own keyed by the entry's 32-bit key hash, which a
 * replica computes for every key anyway (the RangeDigest places a key by it). It grows one bucket at a time (linear
 * hashing), so no insert moves more than one bucket's entries, and its buckets live in segments of SEGMENT_BUCKETS,
 * so no growth copies more than one segment's array.
 *
 * Why not a JavaScript Map: a Map grows by rebuilding its whole table at once (a `set` took 26 ms at 131,072 keys and
 * 216 ms at 1,048,576 on a 2-vCPU host, pausing the node's one event loop), so it had to be split into 256 Maps past
 * 65,536 keys, which made a lookup read the key's characters twice (once to choose the part). And it costs each key a
 * table entry of three slots plus its bucket. Why not the digest's leaf lists, which receivers used to search: there
 * are 65,536 of them whatever the size, so at 1,000,000 keys a lookup walked about eight entries, a cache miss each.
 *
 * Measured on that host, alternated in one process: a received key found from its bytes took 195 ns against 204 ns
 * in the leaf lists at 100,000 keys and 558 ns against 3,063 at 1,000,000; a replicated `set` of an existing key in
 * random order 0.96 µs against 1.12 through the split Maps at 100,000 keys and 2.06 against 2.29 at 1,000,000 (in key
 * order 0.82 against 0.80, no difference); the heap per key of 100-byte values fell from 200 to 178 bytes.
 *
 * Entries are chained through `Entry.chain`, newest first; a lookup rejects a candidate on the hash kept in the entry,
 * read in the same cache line as the link, and compares the key's characters once, for the match. Removing an entry
 * unlinks it; the table does not shrink (a Map's does not either, until it is rebuilt).
 *
 * Hot path: every local write and every received entry finds its key here.
 */
import type { Entry } from './entry.ts'

/** Buckets per segment: a segment's array grows by copying, so this bounds the largest copy (8 KiB of pointers). */
export const SEGMENT_BUCKETS = 1024
const SEGMENT_SHIFT = 10
/** Buckets of an empty index. */
const INITIAL_BUCKETS = 16
/** Entries per bucket, on average, past which the next bucket splits. */
const LOAD = 1

/** `n` empty buckets, in an array of packed elements (a `new Array(n)` stays holey, and slower to read). */
function emptyBuckets(n: number): (Entry | undefined)[] {
  const buckets: (Entry | undefined)[] = []
  for (let i = 0; i < n; i++) buckets.push(undefined)
  return buckets
}

export class EntryIndex {
  /** The buckets, SEGMENT_BUCKETS to a segment: bucket b is `segments[b >>> SEGMENT_SHIFT][b & (SEGMENT_BUCKETS − 1)]`. */
  #segments: (Entry | undefined)[][] = [emptyBuckets(INITIAL_BUCKETS)]
  /** Buckets in use. */
  #buckets = INITIAL_BUCKETS
  /** Buckets at the start of this round of splits: a power of two, `#buckets` − `#split`. */
  #round = INITIAL_BUCKETS
  /** The next bucket to split; buckets below it have split this round and are addressed with one more bit. */
  #split = 0
  #count = 0

  /** Entries held. */
  get size(): number {
    return this.#count
  }

  /** The entry of `key`, whose hashString is `keyHash` (signed or unsigned). */
  get(key: string, keyHash: number): Entry | undefined {
    for (let e = this.head(keyHash); e !== undefined; e = e.chain) {
      if (e.hasHash(keyHash) && e.key === key) return e
    }
    return undefined
  }

  /** The first entry of the bucket `keyHash` falls in: walk `chain` from it, and check each entry's hash. */
  head(keyHash: number): Entry | undefined {
    const b = this.#bucketOf(keyHash)
    return this.#segments[b >>> SEGMENT_SHIFT]![b & (SEGMENT_BUCKETS - 1)]
  }

  /** Adds `e`, whose key it does not hold yet. */
  add(e: Entry): void {
    const b = this.#bucketOf(e.hashBits)
    const segment = this.#segments[b >>> SEGMENT_SHIFT]!
    const i = b & (SEGMENT_BUCKETS - 1)
    e.chain = segment[i]
    segment[i] = e
    this.#count++
    if (this.#count > this.#buckets * LOAD) this.#splitOne()
  }

  /** Removes `e`; false when it is not held. */
  remove(e: Entry): boolean {
    const b = this.#bucketOf(e.hashBits)
    const segment = this.#segments[b >>> SEGMENT_SHIFT]!
    const i = b & (SEGMENT_BUCKETS - 1)
    let before: Entry | undefined
    for (let at = segment[i]; at !== undefined; before = at, at = at.chain) {
      if (at !== e) continue
      if (before === undefined) segment[i] = e.chain
      else before.chain = e.chain
      e.chain = undefined
      this.#count--
      return true
    }
    return false
  }

  /** Every entry, bucket by bucket (in no order a caller may rely on). */
  *values(): Generator<Entry> {
    for (const segment of this.#segments) {
      for (let i = 0; i < segment.length; i++) {
        for (let e = segment[i]; e !== undefined; ) {
          // Read the next one first: the caller may remove the entry it was given.
          const next = e.chain
          yield e
          e = next
        }
      }
    }
  }

  clear(): void {
    for (const e of this.values()) e.chain = undefined
    this.#segments = [emptyBuckets(INITIAL_BUCKETS)]
    this.#buckets = this.#round = INITIAL_BUCKETS
    this.#split = 0
    this.#count = 0
  }

  #bucketOf(keyHash: number): number {
    const b = keyHash & (this.#round - 1)
    return b < this.#split ? keyHash & (2 * this.#round - 1) : b
  }

  /** Splits bucket `#split` into itself and a new last bucket, by one more bit of each entry's hash. */
  #splitOne(): void {
    const from = this.#split
    const to = this.#buckets
    const last = this.#segments[this.#segments.length - 1]!
    if (last.length === SEGMENT_BUCKETS) this.#segments.push(emptyBuckets(1))
    else last.push(undefined)
    this.#buckets++
    const source = this.#segments[from >>> SEGMENT_SHIFT]!
    const target = this.#segments[to >>> SEGMENT_SHIFT]!
    const mask = 2 * this.#round - 1
    let stay: Entry | undefined
    let move: Entry | undefined
    for (let e = source[from & (SEGMENT_BUCKETS - 1)]; e !== undefined; ) {
      const next = e.chain
      if ((e.hashBits & mask) === from) {
        e.chain = stay
        stay = e
      } else {
        e.chain = move
        move = e
      }
      e = next
    }
    source[from & (SEGMENT_BUCKETS - 1)] = stay
    target[to & (SEGMENT_BUCKETS - 1)] = move
    if (++this.#split === this.#round) {
      this.#round *= 2
      this.#split = 0
    }
  }
}
