/**
 * DeltaOutbox: the changes a replicated map still has to send, per peer, as a set of keys. A key changed many times
 * before it is sent waits once, and what is sent is its version at that moment, so a slow or busy peer costs at most
 * one pending key per key of the map, never a growing queue of versions. The map's actor drains it in batches.
 */

/** Pending keys per peer node. */
export class DeltaOutbox {
  readonly #pending = new Map<string, Set<string>>()
  /** True while a flush message is on its way to the map's actor. */
  flushQueued = false

  addPeer(node: string): void {
    if (!this.#pending.has(node)) this.#pending.set(node, new Set())
  }

  dropPeer(node: string): void {
    this.#pending.delete(node)
  }

  /** Marks `key` for every peer. Returns true when a flush must be queued (none is on its way). */
  mark(key: string): boolean {
    if (this.#pending.size === 0) return false
    for (const keys of this.#pending.values()) keys.add(key)
    if (this.flushQueued) return false
    this.flushQueued = true
    return true
  }

  /** Removes and returns up to `max` pending keys of `node`, oldest first. */
  take(node: string, max: number): string[] {
    const keys = this.#pending.get(node)
    if (keys === undefined || keys.size === 0) return []
    const out: string[] = []
    for (const key of keys) {
      out.push(key)
      keys.delete(key)
      if (out.length === max) break
    }
    return out
  }

  /** True when some peer still has pending keys. */
  hasPending(): boolean {
    for (const keys of this.#pending.values()) if (keys.size > 0) return true
    return false
  }

  nodes(): string[] {
    return [...this.#pending.keys()]
  }

  /** Pending keys per peer node: the replication lag. */
  sizes(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [node, keys] of this.#pending) out[node] = keys.size
    return out
  }

  clear(): void {
    this.#pending.clear()
    this.flushQueued = false
  }
}
