/**
 * DeltaOutbox: the changes a replicated map still has to send to its peers, as a queue of entries. An entry changed
 * many times before it is sent waits once (its `pending` flag says it is queued), and what is sent is its version at
 * that moment, so a slow or busy peer costs at most one pending entry per key of the map, never a growing queue of
 * versions. The map's actor drains it in batches, and sends each batch to every peer: one actor sends to all of them,
 * so a busy peer that pauses it holds back the others too, and one queue serves them all (a peer that joins later is
 * caught up by digests, not from this queue).
 *
 * Hot path: `mark` runs on every local write: a flag test and an array store, no hashing of the key. The queue's
 * array is kept from batch to batch, where a new one per batch grew through five copies to a batch's 160 entries: 18
 * bytes of garbage a write.
 */
import type { Entry } from './entry.ts'

/** The most slots a queue's array keeps once empty: well above a busy node's batches, 8 bytes each. */
const KEEP_SLOTS = 8192

/** Pending entries, for every peer node. */
export class DeltaOutbox {
  readonly #peers = new Set<string>()
  /** Pending entries at `#head` up to `#tail`; taken slots are cleared, so a collected entry is not held here. */
  #queue: (Entry | undefined)[] = []
  /** Where the next `take` starts: taken entries are not shifted out one by one. */
  #head = 0
  #tail = 0
  /** True while a flush is on its way to the map's actor. */
  flushQueued = false
  /**
   * Entries ever queued, and ever taken (sent, or dropped with the last peer). The queue is first in, first out, so
   * every entry queued before `queued` read n has left once `taken` reaches n (write-confirmations.ts).
   */
  queued = 0
  taken = 0

  addPeer(node: string): void {
    this.#peers.add(node)
  }

  dropPeer(node: string): void {
    this.#peers.delete(node)
    if (this.#peers.size === 0) this.#drop()
  }

  /** Queues `entry` for every peer. Returns true when a flush must be queued (none is on its way). */
  mark(entry: Entry): boolean {
    if (this.#peers.size === 0) return false
    if (!entry.pending) {
      entry.pending = true
      this.#queue[this.#tail++] = entry
      this.queued++
    }
    if (this.flushQueued) return false
    this.flushQueued = true
    return true
  }

  /**
   * Removes and returns up to `max` pending entries still held by the store, oldest first. `full`, when given, sees
   * each entry as it is taken and ends the take after the one for which it returns true (a batch that is full in bytes).
   */
  take(max: number, full?: (taken: Entry) => boolean): Entry[] {
    const out: Entry[] = []
    const queue = this.#queue
    let i = this.#head
    while (i < this.#tail && out.length < max) {
      const e = queue[i]!
      queue[i++] = undefined
      e.pending = false
      if (!e.held) continue
      out.push(e)
      if (full?.(e) === true) break
    }
    this.taken += i - this.#head
    if (i === this.#tail) this.#empty()
    else this.#head = i
    return out
  }

  hasPending(): boolean {
    return this.#head < this.#tail
  }

  /** Pending entries (one per changed key). */
  get size(): number {
    return this.#tail - this.#head
  }

  nodes(): string[] {
    return [...this.#peers]
  }

  /** Pending keys per peer node: the replication lag. */
  sizes(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const node of this.#peers) out[node] = this.size
    return out
  }

  clear(): void {
    this.#peers.clear()
    this.#drop()
    this.flushQueued = false
  }

  #drop(): void {
    this.taken += this.#tail - this.#head
    for (let i = this.#head; i < this.#tail; i++) {
      this.#queue[i]!.pending = false
      this.#queue[i] = undefined
    }
    this.#empty()
  }

  /** Starts the queue over, keeping its array unless a backlog (a peer away for long) grew it past `KEEP_SLOTS`. */
  #empty(): void {
    if (this.#queue.length > KEEP_SLOTS) this.#queue = []
    this.#head = 0
    this.#tail = 0
  }
}
