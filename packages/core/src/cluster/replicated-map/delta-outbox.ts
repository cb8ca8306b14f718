/**
 * DeltaOutbox: the changes a replicated map still has to send to its peers, as a set of keys. A key changed many
 * times before it is sent waits once, and what is sent is its version at that moment, so a slow or busy peer costs at
 * most one pending key per key of the map, never a growing queue of versions. The map's actor drains it in batches,
 * and sends each batch to every peer: one actor sends to all of them, so a busy peer that pauses it holds back the
 * others too, and one set serves them all (a peer that joins later is caught up by digests, not from this set).
 *
 * Hot path: `mark` runs on every local write.
 */

/** Pending keys, for every peer node. */
export class DeltaOutbox {
  readonly #peers = new Set<string>()
  readonly #pending = new Set<string>()
  /** True while a flush message is on its way to the map's actor. */
  flushQueued = false

  addPeer(node: string): void {
    this.#peers.add(node)
  }

  dropPeer(node: string): void {
    this.#peers.delete(node)
    if (this.#peers.size === 0) this.#pending.clear()
  }

  /** Marks `key` for every peer. Returns true when a flush must be queued (none is on its way). */
  mark(key: string): boolean {
    if (this.#peers.size === 0) return false
    this.#pending.add(key)
    if (this.flushQueued) return false
    this.flushQueued = true
    return true
  }

  /** Removes and returns up to `max` pending keys, oldest first. */
  take(max: number): string[] {
    const out: string[] = []
    for (const key of this.#pending) {
      out.push(key)
      this.#pending.delete(key)
      if (out.length === max) break
    }
    return out
  }

  hasPending(): boolean {
    return this.#pending.size > 0
  }

  nodes(): string[] {
    return [...this.#peers]
  }

  /** Pending keys per peer node: the replication lag. */
  sizes(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const node of this.#peers) out[node] = this.#pending.size
    return out
  }

  clear(): void {
    this.#peers.clear()
    this.#pending.clear()
    this.flushQueued = false
  }
}
