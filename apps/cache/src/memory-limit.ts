/**
 * The cache's memory limit (`CACHE_MAX_MEMORY`), Redis's `maxmemory` with its `noeviction` policy: once this node's
 * data set is larger than the limit, commands and requests that add data are refused, and reads, deletes and
 * expiries go on, so that a client can make room. Every node holds the whole data set, so without a limit one client
 * writing without end would exhaust the memory of every node at once.
 *
 * Writes from peers are always applied: a replica that refused them would diverge from its peers for good. With the
 * same limit on every node (as the manifests set it), each node refuses its own clients' writes at about the same
 * size, since each holds the same data.
 */

/** What the limit measures: the replicated map's size in bytes (`ReplicatedMap.bytes`). */
export interface SizedData {
  readonly bytes: number
}

export class MemoryLimit {
  /** The data set's size past which writes are refused; 0: no limit. */
  readonly maxBytes: number
  /** Writes refused so far (RESP commands and HTTP requests). */
  refused = 0

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  /** Whether `data` is past the limit: a command that adds data must be refused (count it with `refuse`). */
  over(data: SizedData): boolean {
    return this.maxBytes > 0 && data.bytes > this.maxBytes
  }

  /** Counts a refused write. */
  refuse(): void {
    this.refused++
  }
}
