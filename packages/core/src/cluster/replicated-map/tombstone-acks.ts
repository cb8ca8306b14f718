/**
 * TombstoneAcks: collecting a map's delete tombstones once every peer has them, instead of only after
 * `tombstoneTtlMs`. A tombstone exists so that an older copy of its key, held by a peer that missed the delete, cannot
 * bring the key back; once every peer holds the tombstone (or something newer), no such copy is left to fear.
 *
 * How a node learns that: its own deletes leave in flush batches that carry a sequence number (only batches with a
 * delete of this node's carry one, so writes without deletes cost nothing more); a peer answers such a batch with an
 * `ack` once it has applied it, and the transport delivers a connection's messages in order and drops none. When
 * every current peer has acknowledged a batch sent after it became a peer, the deletes of that batch are everywhere:
 * this node collects its tombstones and tells its peers (`collect`) to drop theirs, naming the peers it counted, so a
 * peer that knows a node this one did not count keeps its tombstone.
 *
 * A node that left (nodedown, a partition) may come back with old copies, so while any peer left less than
 * `tombstoneTtlMs` ago, no tombstone is collected by acknowledgement; nor one whose batch went out before a peer
 * joined (a restarted peer comes back empty, but one back from a partition catches up by digests, which say nothing
 * about what it holds). Those are collected by age, as before: `tombstoneTtlMs` stays the bound.
 *
 * Gotchas: expiries are not tombstones a node writes, so an expired key is collected by age only.
 */
import type { Entry } from './entry.ts'

/** Most tombstones waiting for acknowledgements (a peer that never answers must not grow memory); older ones age. */
const MAX_WAITING = 100_000

/** One of this node's delete tombstones, waiting for acknowledgements. */
interface Waiting {
  readonly entry: Entry
  /** The entry's fingerprint when sent: a newer version of the key makes the item stale. */
  readonly fp: number
  readonly seq: number
}

/** What a collecting node tells its peers. */
export interface CollectFields {
  /** The keys of the tombstones collected, and the fingerprints of their versions. */
  readonly keys: string[]
  readonly fps: number[]
  /** The peers whose acknowledgements were counted. */
  readonly counted: string[]
}

/** Acknowledgements of one map's own deletes. */
export class TombstoneAcks {
  readonly #ttlMs: number
  /** The last sequence number given to a batch. */
  #seq = 0
  readonly #waiting: Waiting[] = []
  /** Per peer: the last sequence number before it became a peer, and the highest it acknowledged. */
  readonly #since = new Map<string, number>()
  readonly #acked = new Map<string, number>()
  /** Peers that left, and when. */
  readonly #departed = new Map<string, number>()

  constructor(tombstoneTtlMs: number) {
    this.#ttlMs = tombstoneTtlMs
  }

  /** A (new incarnation of a) peer: only batches sent from now on count for it. */
  addPeer(node: string): void {
    this.#since.set(node, this.#seq)
    this.#acked.set(node, this.#seq)
    this.#departed.delete(node)
  }

  dropPeer(node: string, now: number): void {
    if (!this.#since.delete(node)) return
    this.#acked.delete(node)
    this.#departed.set(node, now)
  }

  /** The sequence number for a batch that carries `deletes` (this node's own), which wait for acknowledgements. */
  stamp(deletes: readonly Entry[]): number {
    const seq = ++this.#seq
    for (const entry of deletes) this.#waiting.push({ entry, fp: entry.fp, seq })
    if (this.#waiting.length > MAX_WAITING) this.#waiting.splice(0, this.#waiting.length - MAX_WAITING)
    return seq
  }

  /** A peer applied every batch up to `seq`. */
  acked(node: string, seq: number): void {
    const last = this.#acked.get(node)
    if (last !== undefined && seq > last && seq <= this.#seq) this.#acked.set(node, seq)
  }

  /**
   * The tombstones every counted peer now has: removed from the waiting list, for the caller to collect and announce.
   * Items whose key was written again since, or that cannot be collected by acknowledgement, are dropped (age
   * collects those).
   */
  collectable(now: number): { entries: Entry[]; counted: string[] } {
    const entries: Entry[] = []
    if (this.#since.size === 0 || this.#waiting.length === 0 || this.#recentlyDeparted(now)) return { entries, counted: [] }
    let everywhere = Infinity
    let joined = 0
    for (const [node, since] of this.#since) {
      everywhere = Math.min(everywhere, this.#acked.get(node)!)
      joined = Math.max(joined, since)
    }
    let taken = 0
    for (; taken < this.#waiting.length; taken++) {
      const w = this.#waiting[taken]!
      if (w.seq > everywhere) break
      // Sent before the latest peer joined: that peer may hold an older copy; left to age.
      if (w.seq <= joined) continue
      if (w.entry.held && w.entry.fp === w.fp && w.entry.deleted) entries.push(w.entry)
    }
    this.#waiting.splice(0, taken)
    return { entries, counted: entries.length > 0 ? [...this.#since.keys()] : [] }
  }

  /** True when a peer's `collect` may be followed here: this node counts no peer the collector did not. */
  mayFollow(collector: string, counted: readonly string[], now: number): boolean {
    if (this.#recentlyDeparted(now)) return false
    for (const node of this.#since.keys()) if (node !== collector && !counted.includes(node)) return false
    return true
  }

  /** Tombstones waiting for acknowledgements. */
  get waiting(): number {
    return this.#waiting.length
  }

  clear(): void {
    this.#waiting.length = 0
    this.#since.clear()
    this.#acked.clear()
    this.#departed.clear()
  }

  #recentlyDeparted(now: number): boolean {
    for (const [node, at] of this.#departed) {
      if (at + this.#ttlMs > now) return true
      this.#departed.delete(node)
    }
    return false
  }
}
