/**
 * The public face of a replicated map: the options of a scope, of a write and of a subscription, the counters, and
 * the `ReplicatedMap` interface its handle (map-handle.ts) implements. Apart from replicated-map.ts, which starts a
 * scope and imports the handle, so that the handle and map-shared.ts can use these types without importing it back.
 */
import type { Pid } from '../../pid.ts'
import type { MapListener } from './replica-store.ts'

/** Options of `ReplicatedMap.synced`. */
export interface MapSyncedOptions {
  /** How long to wait for the slowest peer; past it `synced` rejects naming the peers that did not confirm. @default 5000 */
  timeoutMs?: number
}

/** Options of `ReplicatedMap.replicatedTo`. */
export interface MapReplicatedToOptions {
  /** How many peers must confirm; more than are connected waits for all of them. 0 answers at once. */
  atLeast: number
  /** How long to wait; `Infinity` waits until enough peers confirm or none is left to hear from. */
  timeoutMs: number
}

/** The defaults of `synced`. */
export const DEFAULT_MAP_SYNCED_OPTIONS: Readonly<Required<MapSyncedOptions>> = Object.freeze({ timeoutMs: 5_000 })

/** Options of `startReplicatedMap`. */
export interface ReplicatedMapOptions {
  /** The scope: maps of different scopes are independent. Start the same scope on every node that shares it. @default 'default' */
  scope?: string
  /** Most entries per replication message; larger batches cost fewer messages, smaller ones less latency. @default 512 */
  batchSize?: number
  /**
   * How long a tombstone (a deleted or expired key) is kept after it died, so that an older copy from a peer that
   * missed the delete cannot bring the key back. A peer cut off for longer may. @default 600000 (10 minutes)
   */
  tombstoneTtlMs?: number
  /**
   * How often a node compares digests with each peer even without a nodeup, a safety net for changes lost in
   * flight (the transport drops nothing on a live connection, so this rarely finds anything). 0 turns it off.
   * @default 30000
   */
  syncIntervalMs?: number
  /**
   * The most bytes a key and its value may take together, encoded (UTF-8 for strings, msgpack for other values): a
   * larger `set` throws, since every entry must fit in one message between nodes. Keep it well under the transport's
   * `maxMessageBytes` (8 MiB by default). @default 4194304 (4 MiB)
   */
  maxEntryBytes?: number
}

/** The defaults of `startReplicatedMap`. */
export const DEFAULT_REPLICATED_MAP_OPTIONS: Readonly<Required<ReplicatedMapOptions>> = Object.freeze({
  scope: 'default',
  batchSize: 512,
  tombstoneTtlMs: 600_000,
  syncIntervalMs: 30_000,
  maxEntryBytes: 4 * 1024 * 1024,
})

/** Options of `ReplicatedMap.set`. */
export interface MapSetOptions {
  /** The key expires this many ms after the write, on every node. @default undefined (never) */
  ttlMs?: number
}

/** Options of `ReplicatedMap.scan`. */
export interface MapScanOptions {
  /** About how many keys to return: a call returns whole ranges of keys until it has this many. @default 10 */
  count?: number
  /** Only keys that start with this. @default every key */
  prefix?: string
}

/** One step of `ReplicatedMap.scan`. */
export interface MapScanResult {
  /** Where to go on from; 0 when the walk is complete. */
  cursor: number
  keys: string[]
}

/** Options of `ReplicatedMap.subscribe`. */
export interface MapSubscribeOptions {
  /**
   * False: only the changes whose origin is another node (a mirror of the peers' writes, or a writer that knows its
   * own). While no listener wants this node's own changes, no event, and no copy of a value, is made for them.
   * @default true
   */
  local?: boolean
}

/** Counters of one node's replica. */
export interface ReplicatedMapStats {
  /** Live keys. */
  keys: number
  /** Deleted or expired keys kept until collected. */
  tombstones: number
  /** The memory the replica's data takes, approximately (`ReplicatedMap.bytes`). */
  bytes: number
  /** Changed keys not yet sent, per peer node: the replication lag. */
  pendingByPeer: Record<string, number>
}

/** A running replicated map scope on one node. */
export interface ReplicatedMap<V = unknown> extends AsyncDisposable {
  readonly scope: string
  /** The map actor of this node. */
  readonly pid: Pid
  /** The value of `key` in local memory (no network hop); undefined when absent, deleted or expired. */
  get(key: string): V | undefined
  /**
   * `get` of the key whose Latin-1 decoding is `bytes[start, end)` (each byte one character), without making a string
   * of it: for a server that receives keys as bytes. @throws RangeError for a range outside `bytes`
   */
  getLatin1(bytes: Uint8Array, start?: number, end?: number): V | undefined
  has(key: string): boolean
  /** The clock time (ms) at which a key set with a TTL expires; undefined without TTL or when absent. */
  expiresAt(key: string): number | undefined
  /** The live keys (starting with `prefix`, if given), in no particular order. */
  keys(prefix?: string): string[]
  /** The live entries (whose key starts with `prefix`, if given), in no particular order. */
  entries(prefix?: string): Array<[string, V]>
  /**
   * One step of a walk over the live keys, as Redis's SCAN: start with cursor 0 and pass each returned cursor to the
   * next call until it is 0 again. Each step returns about `count` keys and keeps nothing between calls. A key live for
   * the whole walk is returned exactly once; a key added or deleted meanwhile may or may not be.
   * @throws InvalidOptionError for a cursor, count or prefix of the wrong kind
   */
  scan(cursor: number, options?: MapScanOptions): MapScanResult
  /** Live keys. */
  readonly size: number
  /**
   * The memory this node's replica of the data takes, approximately, in bytes: every entry's key (a byte a
   * character) and byte value (Buffer or Uint8Array; other values count nothing), and 256 bytes for the entry itself
   * (measured: 214 to 396, growing with the value), tombstones included. Read in constant time: a server can check it
   * before each write (the cache's maxmemory).
   */
  readonly bytes: number
  /**
   * Sets `key` to `value` here at once and replicates it to every peer of the scope.
   * @throws NotSerializableError (COHORT_ERR_NOT_SERIALIZABLE) for a value that cannot cross a node, at once;
   * InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad key or TTL; CohortError (COHORT_ERR_NOPROC) when stopped
   */
  set(key: string, value: V, options?: MapSetOptions): void
  /**
   * `set` of the key whose Latin-1 decoding is `bytes[start, end)`; the key's string is made only when the map does
   * not hold it yet. @throws as `set`, and RangeError for a range outside `bytes`
   */
  setLatin1(bytes: Uint8Array, start: number, end: number, value: V, options?: MapSetOptions): void
  /** Deletes `key` here at once and on every peer; returns false when it was not live here. @throws as `set` */
  delete(key: string): boolean
  /**
   * Sends this node's changes not sent yet to every peer now, in the caller's turn, and has the transport write them
   * at once. Without it they leave after the event loop's current pass, so everything written in one pass goes as
   * one batch per peer; call it after such a pass of writes and before telling anyone they are done (a server before
   * its replies), and the peers' copies are on the wire before the client hears back. The writes still leave as one
   * batch. Does nothing when nothing is pending, the map has stopped, or a peer's connection is backed up (the map
   * then sends once it drains, as always).
   */
  flush(): void
  /**
   * Resolves once every peer connected now holds every change this node made before the call (or a newer version of
   * its key): what Akka Distributed Data's `WriteAll` waits for, after the fact. The changes not sent yet leave at
   * once. A peer that joined meanwhile is not asked; one that leaves (or restarts) meanwhile is not waited for; one
   * whose catch-up with this node is under way counts once it has ended. @throws CohortError
   * (COHORT_ERR_MAP_NOT_SYNCED) naming the peers that did not confirm within `timeoutMs`; InvalidOptionError for a bad
   * option; (COHORT_ERR_NOPROC) when stopped
   */
  synced(options?: MapSyncedOptions): Promise<void>
  /**
   * Resolves with the peers that hold every change this node made before the call, as Redis's `WAIT`: once `atLeast`
   * of the peers connected now do, once none is left to hear from, or after `timeoutMs` with those that did by then.
   * Never rejects for peers that do not answer. @throws InvalidOptionError for a bad option; CohortError
   * (COHORT_ERR_NOPROC) when stopped
   */
  replicatedTo(options: MapReplicatedToOptions): Promise<string[]>
  /**
   * Calls `listener` with every change, local or remote (with `local: false`, only those whose origin is another
   * node); returns a function that unsubscribes.
   */
  subscribe(listener: MapListener<V>, options?: MapSubscribeOptions): () => void
  /** The nodes of this scope currently connected. */
  peers(): string[]
  /**
   * The peers this replica has finished a catch-up with since they joined: it holds every entry such a peer held
   * when the catch-up began (or a newer version), and the peer holds every entry it held. A node that has just
   * started can wait for them before it serves reads (the cache's readiness does). A peer that leaves or restarts
   * drops out until its next catch-up ends. As the catch-up itself, it misses an entry too large for the transport's
   * `maxMessageBytes` (logged where it stays) and, about once in 50,000 catch-ups, a range whose 24-bit hashes match
   * by chance (found by the next catch-up, which compares their other 24 bits); a peer that counts no rounds (a
   * version without this) is never listed.
   */
  caughtUp(): string[]
  stats(): ReplicatedMapStats
  /** Stops this node's map actor and clears its replica. Idempotent. */
  stop(): Promise<void>
}
