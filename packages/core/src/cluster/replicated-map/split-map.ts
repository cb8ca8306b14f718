/**
 * SplitMap: a Map from string keys that, once it holds `SPLIT_AT` keys, splits into `SPLIT_MAP_PARTS` Maps chosen by a
 * cheap function of the key, so that no later insert or delete rehashes more than a share of the keys.
 *
 * A JavaScript Map grows by building a table twice its size and moving every key into it, in one step, and it does
 * the same at a constant size once deleted keys fill its table. Measured on a 2-vCPU host: one `set` into a
 * replicated map took 26 ms at 131,072 keys, 50 ms at 262,144, 107 ms at 524,288 and 216 ms at 1,048,576; and a
 * Map of 500,000 keys whose oldest key is replaced by a new one, as in a cache whose keys expire, paused 83 to 101 ms
 * every 548,000 replacements. A node is a single event loop, so each such step paused all of it, writes and
 * replication alike. Split 256 ways, the largest step is a 256th of that; the total work is the same.
 *
 * Why not split from the start: once split, a lookup also reads the key's characters to choose the part, where one
 * Map reuses the hash the string caches. In a micro-benchmark of lookups in random order, 100,000 keys went from 42
 * to 53 ns a lookup and 1,000,000 keys from 227 to 286 ns; below `SPLIT_AT`, lookups cost what one Map's do. The
 * steps of one Map below `SPLIT_AT` take up to about 12 ms; the split itself, done once, took 27 to 42 ms.
 *
 * The part is chosen from the key's length and three of its characters (the last two and the middle one), not from a
 * hash of the whole key, which cost about 25 ns for a 16-character key. Keys that differ only elsewhere (one fixed
 * suffix after varying ids of equal length) share a part; at worst, all keys in one part behave as one Map did.
 *
 * Gotchas: iteration (`values`) goes part by part once split, each in insertion order, not in insertion order overall.
 * A map that split stays split when it shrinks again.
 */

/** How many Maps a split SplitMap spreads its keys over. */
export const SPLIT_MAP_PARTS = 256

/** The size at which a SplitMap splits: 65,536 keys, where one Map's growth step takes about 12 ms. */
export const SPLIT_AT = 1 << 16

/** The part of `key`: 0 to SPLIT_MAP_PARTS − 1. */
export function partOf(key: string): number {
  const n = key.length
  if (n < 2) return n
  return (key.charCodeAt(n - 1) * 31 + key.charCodeAt(n - 2) * 7 + key.charCodeAt(n >>> 1) + n) & (SPLIT_MAP_PARTS - 1)
}

/** A Map from strings that splits when large, so that growing and shrinking never move all keys at once. */
export class SplitMap<V> {
  /** Every key while there are fewer than SPLIT_AT; undefined once split. */
  #whole: Map<string, V> | undefined = new Map<string, V>()
  /** The parts, once split (empty before). */
  #parts: Map<string, V>[] = []
  #count = 0

  get size(): number {
    return this.#count
  }

  /** Whether it has split into parts. */
  get split(): boolean {
    return this.#whole === undefined
  }

  get(key: string): V | undefined {
    const whole = this.#whole
    return whole !== undefined ? whole.get(key) : this.#parts[partOf(key)]!.get(key)
  }

  set(key: string, value: V): void {
    const whole = this.#whole
    const map = whole ?? this.#parts[partOf(key)]!
    const before = map.size
    map.set(key, value)
    this.#count += map.size - before
    if (whole !== undefined && this.#count >= SPLIT_AT) this.#splitInto(whole)
  }

  /** Removes `key`; true if it was there. */
  delete(key: string): boolean {
    const whole = this.#whole
    if (!(whole ?? this.#parts[partOf(key)]!).delete(key)) return false
    this.#count--
    return true
  }

  /** Every value (once split, part by part). */
  *values(): Generator<V> {
    if (this.#whole !== undefined) yield* this.#whole.values()
    else for (const part of this.#parts) yield* part.values()
  }

  clear(): void {
    this.#whole = new Map<string, V>()
    this.#parts = []
    this.#count = 0
  }

  #splitInto(whole: Map<string, V>): void {
    const parts = Array.from({ length: SPLIT_MAP_PARTS }, () => new Map<string, V>())
    whole.forEach((value, key) => parts[partOf(key)]!.set(key, value))
    this.#parts = parts
    this.#whole = undefined
  }
}
