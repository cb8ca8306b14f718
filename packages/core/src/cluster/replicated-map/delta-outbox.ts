/**
 * DeltaOutbox: the changes a replicated map still has to send to its peers, as a queue of entries. An entry changed
 * many times before it is sent waits once (its `pending` flag says it is queued), and what is sent is its version at
 * that moment, so a slow or busy peer costs at most one pending entry per key of the map, never a growing queue of
 * versions. The map's actor drains it in batches, and sends each batch to every peer: one actor sends to all of them,
 * so a busy peer that pauses it holds back the others too, and one queue serves them all (a peer that joins later is
 * caught up by digests, not from this queue).
 *
 * Hot path: `mark` runs on every local write: a flag test and an array push, no hashing of the key.
 */
import type { Entry } from './entry.ts'

/** Pending entries, for every peer node. */
export class DeltaOutbox {
  readonly #peers = new Set<string>()
  #queue: Entry[] = []
  /** Where the next `take` starts: taken entries are not shifted out one by one. */
  #head = 0
  /** True while a flush is on its way to the map's actor. */
  flushQueued = false

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
      this.#queue.push(entry)
    }
    if (this.flushQueued) return false
    this.flushQueued = true
    return true
  }

  /** Removes and returns up to `max` pending entries still held by the store, oldest first. */
  take(max: number): Entry[] {
    const out: Entry[] = []
    const queue = this.#queue
    let i = this.#head
    for (; i < queue.length && out.length < max; i++) {
      const e = queue[i]!
      e.pending = false
      if (e.held) out.push(e)
    }
    if (i === queue.length) {
      this.#queue = []
      this.#head = 0
    } else {
      this.#head = i
    }
    return out
  }

  hasPending(): boolean {
    return this.#head < this.#queue.length
  }

  /** Pending entries (one per changed key). */
  get size(): number {
    return this.#queue.length - this.#head
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
    for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i]!.pending = false
    this.#queue = []
    this.#head = 0
  }
}
