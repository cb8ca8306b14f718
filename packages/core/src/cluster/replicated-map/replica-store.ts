/**
 * ReplicaStore: one node's copy of a replicated map: its entries (live values and tombstones, each with the version of
 * the write that made it), the RangeDigest over them, the expiries and tombstone collections due, and the listeners
 * of changes. The map's handle writes into it synchronously (local writes) and the map's actor merges peers' entries
 * into it with the last-writer-wins rule, so every read is a local lookup.
 *
 * An entry is dead once deleted or past its `expiresAt` (clock time in ms, the same on every node, so a key expires
 * on every node at the same moment of that node's clock). A dead entry stays, as a tombstone, for `tombstoneTtlMs`
 * after it died, so that an older copy of the key arriving from a peer that missed the delete cannot bring it back.
 *
 * Hot path: `setLocal`, `get`.
 */
import type { Logger } from 'pino'
import type { Clock } from '../../clock.ts'
import { describeValue } from '../../errors.ts'
import { MinHeap } from '../../internal/min-heap.ts'
import { compareVersions } from './hlc.ts'
import type { HybridLogicalClock } from './hlc.ts'
import { fingerprint, hashLatin1Bytes, hashString } from './key-hash.ts'
import { LEAF_COUNT, RangeDigest, leafOf, leavesUnder } from './range-digest.ts'
import { Entry } from './entry.ts'
import { SplitMap } from './split-map.ts'
import { NO_BLOCK, PLACE_BUFFER, PLACE_NONE, ValueBlocks, placeOf } from './value-blocks.ts'
import type { PlaceAs } from './value-blocks.ts'

/** A change of a replicated map, delivered to its subscribers. */
export interface MapChange<V> {
  /** `set` for a new value, `delete` for a delete, `expire` when a key's TTL ran out. */
  readonly type: 'set' | 'delete' | 'expire'
  readonly key: string
  /** The new value (for `set`). */
  readonly value?: V
  /** The node whose write caused the change (for `expire`, the node that set the expiring value). */
  readonly origin: string
}

/** A listener of map changes. */
export type MapListener<V> = (change: MapChange<V>) => void

interface Timed {
  readonly entry: Entry
  /** The fingerprint when scheduled: a newer version of the key makes the item stale. */
  readonly fp: number
}

/**
 * What `bytes` counts for each entry besides its key's characters and its value's bytes: the Entry object, the key
 * string's header, its place in the split map and the digest, a value's share of its block or its own Buffer. Measured
 * as what a replica's heap and Buffers grow by per key, less the keys' and values' own bytes (200,000 keys of 16
 * characters, after full collections): 214 bytes with values of 100 bytes, 285 with 1,000 and 396 with 10,000.
 */
export const ENTRY_BYTES = 256

/** The options the store needs. */
export interface StoreOptions {
  readonly tombstoneTtlMs: number
}

/** Checks a peer's entry; returns what is wrong with it, or undefined. */
export function wireEntryProblem(key: unknown, wall: number, counter: number, node: unknown, expiresAt: number): string | undefined {
  if (typeof key !== 'string') return `a key must be a string, not ${describeValue(key)}`
  if (wall < 0) return `wall of ${key} must not be negative`
  if (counter < 0) return `counter of ${key} must not be negative`
  if (typeof node !== 'string' || node.length === 0) return `node of ${key} must be a node name, not ${describeValue(node)}`
  if (expiresAt < 0 || !Number.isSafeInteger(expiresAt)) return `expiresAt of ${key} must be a non-negative integer`
  return undefined
}

/** One node's replica of one map scope. */
export class ReplicaStore<V> {
  readonly digest = new RangeDigest()
  /** Every entry by key; split once large, so growth and churn never pause the node for long (split-map.ts). */
  readonly #entries = new SplitMap<Entry>()
  readonly #leaves: (Entry | undefined)[] = new Array<Entry | undefined>(LEAF_COUNT)
  /** `warmAscii`'s walks, one per key of a batch; every slot is undefined between batches. */
  readonly #walks: (Entry | undefined)[] = []
  /** What the last `warmAscii` read (`warmed`). */
  #warmed = 0
  readonly #timed = new MinHeap<Timed>()
  readonly #listeners = new Set<MapListener<V>>()
  /** Listeners of the changes whose origin is another node only (`subscribe(listener, false)`). */
  readonly #remoteListeners = new Set<MapListener<V>>()
  /** The memory of its byte values (value-blocks.ts): where an entry's `block` index points. */
  readonly blocks = new ValueBlocks()
  readonly #node: string
  readonly #clock: Clock
  readonly #hlc: HybridLogicalClock
  readonly #options: StoreOptions
  readonly #logger: Logger
  #live = 0
  /** What `bytes` reports, kept as entries and values come and go. */
  #bytes = 0

  constructor(node: string, clock: Clock, hlc: HybridLogicalClock, options: StoreOptions, logger: Logger) {
    this.#node = node
    this.#clock = clock
    this.#hlc = hlc
    this.#options = options
    this.#logger = logger
  }

  /** Live keys (an expired key counts until its expiry has been processed, at its due time). */
  get size(): number {
    return this.#live
  }

  /** Entries held, tombstones included. */
  get held(): number {
    return this.#entries.size
  }

  /**
   * The memory the replica's data takes, approximately: each entry's key (a byte a character) and byte value, and
   * `ENTRY_BYTES`, tombstones included. A value that is not bytes (a string, an object) counts nothing.
   */
  get bytes(): number {
    return this.#bytes
  }

  get(key: string): V | undefined {
    const e = this.#entries.get(key)
    if (e === undefined || !e.live) return undefined
    if (e.expiresAt !== 0 && e.expiresAt <= this.#clock.now()) return undefined
    return this.blocks.read(e) as V
  }

  has(key: string): boolean {
    const e = this.#entries.get(key)
    return e !== undefined && e.live && (e.expiresAt === 0 || e.expiresAt > this.#clock.now())
  }

  expiresAt(key: string): number | undefined {
    const e = this.#entries.get(key)
    if (e === undefined || !e.live || e.expiresAt === 0 || e.expiresAt <= this.#clock.now()) return undefined
    return e.expiresAt
  }

  /** The current entry of `key`, tombstones included. */
  entry(key: string): Entry | undefined {
    return this.#entries.get(key)
  }

  /**
   * The current entry of the key whose code units are `bytes[start, end)`, one per byte (an ASCII key as its UTF-8
   * bytes, with `keyHash` from `hashAsciiBytes`; any Latin-1 key, from `hashLatin1Bytes`), found in its leaf range's
   * list without making a string of the key or looking it up in the Map: what a receiver does per entry.
   */
  entryOfAscii(bytes: Uint8Array, start: number, end: number, keyHash: number): Entry | undefined {
    const length = end - start
    for (let e = this.#leaves[leafOf(keyHash)]; e !== undefined; e = e.next) {
      if (!e.hasHash(keyHash) || e.key.length !== length) continue
      const key = e.key
      let i = 0
      while (i < length && key.charCodeAt(i) === bytes[start + i]) i++
      if (i === length) return e
    }
    return undefined
  }

  /**
   * Loads into the cache what `entryOfAscii` will read for each of `count` key hashes (signed; -1 skipped): the head
   * of the key's leaf list, the entries walked, and the key of the one whose hash matches. All the keys' walks advance
   * together, one step each per pass, so their cache misses overlap: at 100,000 to 300,000 keys a lookup is a few
   * dependent misses, each a fraction of a microsecond on a virtualized host, and a batch's keys are far apart.
   */
  warmAscii(keyHashes: Int32Array, count: number): void {
    const walks = this.#walks
    for (let i = 0; i < count; i++) {
      const h = keyHashes[i]!
      walks[i] = h === -1 ? undefined : this.#leaves[leafOf(h >>> 0)]
    }
    let walking = count
    let loaded = 0
    while (walking > 0) {
      walking = 0
      for (let i = 0; i < count; i++) {
        const e = walks[i]
        if (e === undefined) continue
        if (e.hasHash(keyHashes[i]!)) {
          loaded += e.key.length
          walks[i] = undefined
        } else {
          walks[i] = e.next
          walking++
        }
      }
    }
    // Kept, so that the compiler cannot drop the keys' loads as unused.
    this.#warmed = loaded
  }

  /** How many characters of keys the last `warmAscii` found: those whose hash matched. */
  get warmed(): number {
    return this.#warmed
  }

  /** The current entry of the key whose Latin-1 decoding is `bytes[start, end)`, tombstones included. */
  entryOfLatin1(bytes: Uint8Array, start: number, end: number): Entry | undefined {
    return this.entryOfAscii(bytes, start, end, hashLatin1Bytes(bytes, start, end))
  }

  /** `get` of the key whose Latin-1 decoding is `bytes[start, end)`, without making a string of it. */
  getLatin1(bytes: Uint8Array, start: number, end: number): V | undefined {
    const e = this.entryOfLatin1(bytes, start, end)
    if (e === undefined || !e.live) return undefined
    if (e.expiresAt !== 0 && e.expiresAt <= this.#clock.now()) return undefined
    return this.blocks.read(e) as V
  }

  *liveEntries(prefix: string | undefined): Generator<Entry> {
    const now = this.#clock.now()
    for (const e of this.#entries.values()) {
      if (!e.live || (e.expiresAt !== 0 && e.expiresAt <= now)) continue
      if (prefix !== undefined && !e.key.startsWith(prefix)) continue
      yield e
    }
  }

  /**
   * Appends to `out` the live keys starting with `prefix` (any, when undefined) of the leaf ranges from `cursor` on,
   * whole ranges at a time, until `out` holds `count` or more; returns the leaf range to go on from, 0 after the last.
   * A key's range follows from its hash, so a key live for a whole walk from 0 to 0 is found exactly once, whatever
   * else changes meanwhile, and a walk keeps no state of its own between calls.
   */
  scan(cursor: number, count: number, prefix: string | undefined, out: string[]): number {
    const now = this.#clock.now()
    let leaf = cursor
    while (leaf < LEAF_COUNT) {
      for (let e = this.#leaves[leaf]; e !== undefined; e = e.next) {
        if (!e.live || (e.expiresAt !== 0 && e.expiresAt <= now)) continue
        if (prefix !== undefined && !e.key.startsWith(prefix)) continue
        out.push(e.key)
      }
      leaf++
      if (out.length >= count) break
    }
    return leaf >= LEAF_COUNT ? 0 : leaf
  }

  /** Every entry (tombstones included) in the leaf ranges under a digest tree node. */
  *entriesUnder(treeNode: number): Generator<Entry> {
    const [from, to] = leavesUnder(treeNode)
    for (let leaf = from; leaf < to; leaf++) {
      for (let e = this.#leaves[leaf]; e !== undefined; e = e.next) yield e
    }
  }

  /** Calls `listener` with every change, or with `local` false only with those whose origin is another node. */
  subscribe(listener: MapListener<V>, local = true): () => void {
    const listeners = local ? this.#listeners : this.#remoteListeners
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  /**
   * A local write: a new version of `key`, applied at once. `held` is the key's entry when the caller looked it up
   * already (`entryOfLatin1`; null: none).
   */
  setLocal(key: string, value: V, expiresAt: number, held?: Entry | null): Entry {
    this.#hlc.tick()
    let e = held === undefined ? this.#entries.get(key) : (held ?? undefined)
    if (e === undefined) e = this.#insert(key, hashString(key))
    // Bytes are copied, so a caller reusing its Buffer cannot change the map, and the value the caller made dies young.
    const placeAs = placeOf(value)
    this.#write(e, placeAs === PLACE_NONE ? value : undefined, this.#hlc.wall, this.#hlc.counter, this.#node, false, expiresAt)
    if (placeAs !== PLACE_NONE) this.blocks.place(e, value as Uint8Array, placeAs === PLACE_BUFFER)
    this.#bytes += valueBytes(e)
    this.#changed(e, true)
    return e
  }

  /** A local delete: a tombstone newer than the live value. Returns the entry, or undefined if nothing was live. */
  deleteLocal(key: string): Entry | undefined {
    const e = this.#entries.get(key)
    // An expired key is gone already (its expiry event is due): nothing to delete.
    if (e === undefined || !e.live || (e.expiresAt !== 0 && e.expiresAt <= this.#clock.now())) return undefined
    this.#hlc.tick()
    this.#write(e, undefined, this.#hlc.wall, this.#hlc.counter, this.#node, true, 0)
    this.#changed(e, true)
    return e
  }

  /**
   * Merges a peer's entry (already checked by `wireEntryProblem`); returns true when it was newer than ours. A value
   * with `placeAs` other than `PLACE_NONE` is bytes of the received frame (`value` from `start` to `end`, by default
   * all of it), copied into the store's own memory when the entry is kept. `held` is the key's entry when the caller
   * looked it up already (`entryOfAscii`; null: none).
   */
  applyRemote(
    key: string,
    wall: number,
    counter: number,
    node: string,
    deleted: boolean,
    expiresAt: number,
    value: unknown,
    placeAs: PlaceAs = PLACE_NONE,
    held?: Entry | null,
    start?: number,
    end?: number,
  ): boolean {
    this.#hlc.observe(wall, counter)
    let e = held === undefined ? this.#entries.get(key) : (held ?? undefined)
    if (e !== undefined) {
      if (compareVersions(wall, counter, node, e.wall, e.counter, e.node) <= 0) return false
    } else {
      // A tombstone we would collect at once is not worth holding.
      const deadSince = deleted ? wall : expiresAt
      if ((deleted || expiresAt !== 0) && deadSince + this.#options.tombstoneTtlMs <= this.#clock.now()) return false
      e = this.#insert(key, hashString(key))
    }
    this.#write(e, deleted || placeAs !== PLACE_NONE ? undefined : value, wall, counter, node, deleted, expiresAt)
    if (placeAs !== PLACE_NONE && !deleted) {
      const bytes = value as Uint8Array
      this.blocks.place(e, bytes, placeAs === PLACE_BUFFER, start ?? 0, end ?? bytes.byteLength)
    }
    this.#bytes += valueBytes(e)
    this.#changed(e, false)
    return true
  }

  /** Collects this delete tombstone before its age (every peer has it); nothing when `e` is not held any more. */
  collect(e: Entry): void {
    if (e.held && e.deleted && this.#entries.get(e.key) === e) this.#remove(e)
  }

  /**
   * Collects the tombstone of `key` if this replica holds that version of it (fingerprint `fp`, signed or as the wire
   * carries it, unsigned); true if it did.
   */
  collectKey(key: string, fp: number): boolean {
    const e = this.#entries.get(key)
    if (e === undefined || !e.deleted || e.fp !== (fp | 0)) return false
    this.#remove(e)
    return true
  }

  /** When the next expiry or collection is due, if any. */
  nextDue(): number | undefined {
    return this.#timed.peekAt()
  }

  /** Processes the expiries and tombstone collections due by now. */
  sweep(): void {
    const now = this.#clock.now()
    for (let at = this.#timed.peekAt(); at !== undefined && at <= now; at = this.#timed.peekAt()) {
      const { entry, fp } = this.#timed.pop()!
      if (entry.fp !== fp || this.#entries.get(entry.key) !== entry) continue
      if (entry.live) {
        // Its expiry: it is a tombstone from now on.
        entry.live = false
        this.#bytes -= valueBytes(entry)
        this.blocks.release(entry)
        entry.value = undefined
        this.#live--
        this.#emit({ type: 'expire', key: entry.key, origin: entry.node })
        this.#scheduleCollection(entry)
      } else {
        this.#remove(entry)
      }
    }
  }

  /** Clears everything (the map stopped). */
  clear(): void {
    for (const e of this.#entries.values()) e.held = false
    this.#entries.clear()
    this.blocks.clear()
    this.#leaves.fill(undefined)
    this.#timed.clear()
    this.#listeners.clear()
    this.#remoteListeners.clear()
    this.#live = 0
    this.#bytes = 0
  }

  /** A new entry, not yet in the digest: its first `#write` adds it. */
  #insert(key: string, keyHash: number): Entry {
    const e = new Entry(key, keyHash)
    this.#entries.set(key, e)
    this.#bytes += key.length + ENTRY_BYTES
    const head = this.#leaves[e.leaf]
    e.next = head
    if (head !== undefined) head.prev = e
    this.#leaves[e.leaf] = e
    return e
  }

  #remove(e: Entry): void {
    this.#bytes -= valueBytes(e) + e.key.length + ENTRY_BYTES
    this.blocks.release(e)
    e.held = false
    this.#entries.delete(e.key)
    this.digest.remove(e.leaf, e.fp)
    if (e.prev !== undefined) e.prev.next = e.next
    else this.#leaves[e.leaf] = e.next
    if (e.next !== undefined) e.next.prev = e.prev
    e.prev = e.next = undefined
  }

  #write(e: Entry, value: unknown, wall: number, counter: number, node: string, deleted: boolean, expiresAt: number): void {
    this.#bytes -= valueBytes(e)
    this.blocks.release(e)
    e.value = value
    e.wall = wall
    e.counter = counter
    e.node = node
    e.deleted = deleted
    e.expiresAt = expiresAt
    const fp = fingerprint(e.keyHash, wall, counter, node, deleted, expiresAt)
    // A new entry is added to the digest; one held already changes its fingerprint there in one pass.
    if (e.inDigest) this.digest.replace(e.leaf, e.fp, fp)
    else {
      this.digest.add(e.leaf, fp)
      e.inDigest = true
    }
    e.fp = fp
  }

  /** After a new version was written: counts, events, and the expiry or collection to come. */
  #changed(e: Entry, local: boolean): void {
    const wasLive = e.live
    // The clock is read only for an entry with an expiry: most writes have none, and a read costs more than the rest.
    // A peer sends a key it saw expire without its value, and this node's clock may not have reached the expiry yet:
    // without a value the key is dead here too.
    const expired = e.expiresAt !== 0 && (e.expiresAt <= this.#clock.now() || (e.block === NO_BLOCK && e.value === undefined))
    e.live = !e.deleted && !expired
    if (e.live !== wasLive) this.#live += e.live ? 1 : -1
    if (e.live) {
      if (e.expiresAt !== 0) this.#timed.push(e.expiresAt, { entry: e, fp: e.fp })
      if (this.#heard(e)) this.#emit({ type: 'set', key: e.key, value: this.blocks.read(e) as V, origin: e.node })
      return
    }
    if (!e.deleted) {
      this.#bytes -= valueBytes(e)
      this.blocks.release(e)
      e.value = undefined
    }
    if (wasLive && this.#heard(e)) {
      const fp = e.fp
      this.#emit({ type: e.deleted ? 'delete' : 'expire', key: e.key, origin: e.node })
      // A listener wrote the key again: that write kept its own books, and this tombstone is no longer the entry's
      // version, to be collected or removed (removing it would drop the new value and leave `size` counting it).
      if (e.fp !== fp || !e.held) return
    }
    if (!this.#scheduleCollection(e) && !local) this.#remove(e)
  }

  /** Schedules the collection of a tombstone; false when it is due already. */
  #scheduleCollection(e: Entry): boolean {
    const at = (e.deleted ? e.wall : e.expiresAt) + this.#options.tombstoneTtlMs
    if (at <= this.#clock.now()) return false
    this.#timed.push(at, { entry: e, fp: e.fp })
    return true
  }

  /**
   * Whether a change of `e` has a listener. No change is made for none: its value is a copy of the bytes (a read),
   * which a writer whose listeners want only its peers' changes made per write for nothing.
   */
  #heard(e: Entry): boolean {
    return this.#listeners.size > 0 || (this.#remoteListeners.size > 0 && e.node !== this.#node)
  }

  #emit(change: MapChange<V>): void {
    this.#deliver(this.#listeners, change)
    if (change.origin !== this.#node) this.#deliver(this.#remoteListeners, change)
  }

  #deliver(listeners: Set<MapListener<V>>, change: MapChange<V>): void {
    for (const listener of listeners) {
      try {
        listener(change)
      } catch (error) {
        // A listener's bug must not stop the map or the other listeners.
        this.#logger.error({ err: error, key: change.key }, 'a replicated map listener threw')
      }
    }
  }
}

/** The bytes of `e`'s value: in a block, in memory of its own, or none (not bytes). */
function valueBytes(e: Entry): number {
  if (e.block !== NO_BLOCK) return e.length
  const value = e.value
  return value instanceof Uint8Array ? value.byteLength : 0
}
