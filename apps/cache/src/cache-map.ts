import type { Pid } from '@cohort/core'

/**
 * What the cache needs of the replicated map: the map's public API, narrowed to the calls the cache makes, with
 * values as bytes. `startReplicatedMap` from @cohort/core satisfies it; keeping the cache to this shape is what keeps
 * it a thin server over the map.
 */

/**
 * What `ReplicatedMap.bytes` counts for an entry beyond its key and value (core's README, the map's `bytes`): the
 * cache's MEMORY USAGE adds it to each key's, so that the keys' figures add up to `used_memory_dataset`.
 */
export const ENTRY_BYTES = 256

/** One entry change as the map reports it to subscribers. */
export interface CacheChange {
  type: 'set' | 'delete' | 'expire'
  key: string
  value?: Uint8Array
  origin: string
}

/** The replicated map of byte values, keyed by latin1 strings (key-codec.ts). */
export interface CacheMap {
  readonly scope: string
  /** The map's actor on this node: while it lives, the node serves. */
  readonly pid: Pid
  /**
   * True once the map's actor has ended, and its data with it (`ReplicatedMap.stopped`). The cache then answers as
   * while loading until its supervisor starts a new replica; a CacheMap of your own may leave it out (never stopped).
   */
  readonly stopped?: boolean
  readonly size: number
  /** The memory the data set takes here, approximately (`ReplicatedMap.bytes`): what `CACHE_MAX_MEMORY` bounds. */
  readonly bytes: number
  get(key: string): Uint8Array | undefined
  /** `get` of the key whose latin1 decoding is `bytes[start, end)`, without making a string of it. */
  getLatin1(bytes: Uint8Array, start: number, end: number): Uint8Array | undefined
  has(key: string): boolean
  /** Clock time (ms) at which a key with a TTL expires; undefined for a missing key or one without a TTL. */
  expiresAt(key: string): number | undefined
  keys(prefix?: string): string[]
  /** One step of a walk over the live keys (`ReplicatedMap.scan`): what SCAN serves, with no state between steps. */
  scan(cursor: number, options?: { count?: number; prefix?: string }): { cursor: number; keys: string[] }
  set(key: string, value: Uint8Array, options?: { ttlMs?: number }): void
  /** `set` of the key whose latin1 decoding is `bytes[start, end)`; the string is made only for a key not held yet. */
  setLatin1(bytes: Uint8Array, start: number, end: number, value: Uint8Array): void
  delete(key: string): boolean
  /** Sends the writes not sent yet to the peers now (`ReplicatedMap.flush`): the server calls it before its replies. */
  flush(): void
  /**
   * The peers that hold every write this node made before the call (`ReplicatedMap.replicatedTo`): once `atLeast` of
   * them do, once none is left to hear from, or at `timeoutMs` (Infinity: none) with those that do. What WAIT answers.
   */
  replicatedTo(options: { atLeast: number; timeoutMs: number }): Promise<string[]>
  subscribe(listener: (change: CacheChange) => void): () => void
  peers(): string[]
  /** The peers this replica has finished a catch-up with (`ReplicatedMap.caughtUp`): what readiness waits for. */
  caughtUp(): string[]
  stats(): { keys: number; tombstones: number; bytes: number; pendingByPeer: Record<string, number> }
  stop(): Promise<void>
}
