/**
 * startCacheTree: the cache's supervision tree on a node, so that the observer (`/observer`, `cohort status`) shows
 * it and a crashed replica is restarted instead of leaving the node serving nothing:
 *
 *   cache (oneForOne)
 *   ├── firstChildren (run-cache-node.ts puts the cluster observer first, so it reports the whole tree)
 *   └── replica: the worker that owns this node's replicated map; linked to the map's actor, it exits when that actor
 *       crashes and is restarted with a new, empty replica, which catches up with its peers by digests.
 *
 * The servers hold a `SupervisedCacheMap`, which always forwards to the current replica (and keeps its subscribers
 * across a restart), so nothing else needs to know a restart happened. A replica stopped on purpose (`stop()`, the
 * node's shutdown) ends with reason `shutdown`, which a transient child is not restarted for.
 */
import { Exit, supervisor } from '@cohort/core'
import type { ActorSystem, ChildSpec, Pid, ServerBehaviour } from '@cohort/core'
import type { CacheChange, CacheMap } from './cache-map.ts'

/** The options the cache starts its replica with: the scope, and (in a node) the largest entry it must carry. */
export interface ReplicaOptions {
  scope: string
  maxEntryBytes?: number
}

/** What `startCacheTree` starts the replica with (`startReplicatedMap` from @cohort/core). */
export type StartReplica = (system: ActorSystem, options: ReplicaOptions) => CacheMap

/** The cache's tree on a node. */
export interface CacheTree {
  /** The cache's root supervisor, registered as `cache`. */
  readonly root: Pid
  /** The replicated map, whichever incarnation of the replica is current. */
  readonly map: SupervisedCacheMap
}

/** The registered name of the cache's root supervisor. */
export const CACHE_SUPERVISOR_NAME = 'cache'

/** Starts the cache's supervision tree; resolves once the replica is up. */
export async function startCacheTree(system: ActorSystem, startReplica: StartReplica, options: ReplicaOptions, firstChildren: readonly ChildSpec[] = []): Promise<CacheTree> {
  const map = new SupervisedCacheMap(options.scope)
  const root = await system.start(
    supervisor({
      name: CACHE_SUPERVISOR_NAME,
      strategy: 'oneForOne',
      children: [...firstChildren, { id: 'replica', start: replicaBehaviour(system, startReplica, options, map), restart: 'transient' }],
    }),
    undefined,
    { name: CACHE_SUPERVISOR_NAME },
  )
  return { root, map }
}

/** The replica worker: starts the map in init, exits with it, stops it when its supervisor stops it. */
function replicaBehaviour(system: ActorSystem, startReplica: StartReplica, options: ReplicaOptions, slot: SupervisedCacheMap): ServerBehaviour<CacheMap, undefined> {
  return {
    name: 'cache.replica',
    init(_args, ctx) {
      // Trapped: the supervisor's shutdown then runs terminate (which stops the map), and the map's exit is a message.
      ctx.trapExit(true)
      const map = startReplica(system, options)
      ctx.link(map.pid)
      slot.attach(map)
      return map
    },
    handleInfo(msg, map) {
      // The map's actor ended: so does the replica, with its reason (restarted unless it was a shutdown).
      if (msg instanceof Exit && msg.from.equals(map.pid)) return { stop: msg.reason }
      return map
    },
    async terminate(_reason, map) {
      await map.stop()
    },
  }
}

/** The cache's map as the servers see it: forwards to the current replica. */
export class SupervisedCacheMap implements CacheMap {
  readonly scope: string
  #map: CacheMap | undefined
  #unsubscribe: (() => void) | undefined
  readonly #listeners = new Set<(change: CacheChange) => void>()

  constructor(scope: string) {
    this.scope = scope
  }

  /** Makes `map` the current replica (the replica worker calls it on every start). */
  attach(map: CacheMap): void {
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    this.#map = map
    if (this.#listeners.size > 0) this.#relay()
  }

  /**
   * Subscribes to the current replica for this map's listeners. Only while there are any: a map with a subscriber
   * makes a change event for every write, local or replicated.
   */
  #relay(): void {
    this.#unsubscribe = this.#map?.subscribe((change) => {
      for (const listener of this.#listeners) listener(change)
    })
  }

  get #current(): CacheMap {
    if (this.#map === undefined) throw new Error('the cache replica has not started')
    return this.#map
  }

  get pid(): Pid {
    return this.#current.pid
  }

  /** The current replica ended and no new one has started yet (or the map was stopped): it holds nothing. */
  get stopped(): boolean {
    return this.#map?.stopped === true
  }

  get size(): number {
    return this.#current.size
  }

  get bytes(): number {
    return this.#current.bytes
  }

  get(key: string): Uint8Array | undefined {
    return this.#current.get(key)
  }

  getLatin1(bytes: Uint8Array, start: number, end: number): Uint8Array | undefined {
    return this.#current.getLatin1(bytes, start, end)
  }

  has(key: string): boolean {
    return this.#current.has(key)
  }

  expiresAt(key: string): number | undefined {
    return this.#current.expiresAt(key)
  }

  keys(prefix?: string): string[] {
    return this.#current.keys(prefix)
  }

  scan(cursor: number, options?: { count?: number; prefix?: string }): { cursor: number; keys: string[] } {
    return this.#current.scan(cursor, options)
  }

  set(key: string, value: Uint8Array, options?: { ttlMs?: number }): void {
    this.#current.set(key, value, options)
  }

  setLatin1(bytes: Uint8Array, start: number, end: number, value: Uint8Array): void {
    this.#current.setLatin1(bytes, start, end, value)
  }

  delete(key: string): boolean {
    return this.#current.delete(key)
  }

  flush(): void {
    // Between a replica's crash and its restart there is nothing to send: what it held went with it.
    this.#map?.flush()
  }

  /** The current replica's; between a crash and the restart no peer holds what went with it: none. */
  replicatedTo(options: { atLeast: number; timeoutMs: number }): Promise<string[]> {
    return this.#map === undefined ? Promise.resolve([]) : this.#map.replicatedTo(options)
  }

  /** Subscribes across restarts: the listener goes on with the next replica. */
  subscribe(listener: (change: CacheChange) => void): () => void {
    this.#listeners.add(listener)
    if (this.#unsubscribe === undefined) this.#relay()
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) {
        this.#unsubscribe?.()
        this.#unsubscribe = undefined
      }
    }
  }

  peers(): string[] {
    return this.#current.peers()
  }

  /** The current replica's: a restarted replica starts empty and must catch up again. */
  caughtUp(): string[] {
    return this.#current.caughtUp()
  }

  stats(): { keys: number; tombstones: number; bytes: number; pendingByPeer: Record<string, number> } {
    return this.#current.stats()
  }

  stop(): Promise<void> {
    return this.#current.stop()
  }
}
