/**
 * Replicated map: a key-value map of which every node that starts the same scope holds the whole data set, for
 * cache-sync and shared configuration (Akka Distributed Data's LWWMap, Nebulex's replicated adapter). Reads are
 * local lookups with no network hop; writes apply locally at once and replicate to every peer of the scope.
 *
 * Each node runs one map actor per scope, registered as `cohort.rmap.<scope>`. It finds its peers as groups do
 * (`discover` on start and on every nodeup, `hello` back) and then:
 * - sends local changes to every peer as `delta` batches of at most `batchSize` entries, from a DeltaOutbox that
 *   keeps one pending key per changed key, so a slow peer cannot grow memory beyond the map's own size;
 * - merges peers' entries with last writer wins on a hybrid logical clock, the writer's node name breaking ties;
 * - catches up with each new peer (and every `syncIntervalMs`) by comparing hashes of key ranges (catch-up.ts), the
 *   node with the smaller name starting, so only the entries that differ cross the network;
 * - expires TTL'd keys at their `expiresAt` and collects tombstones `tombstoneTtlMs` after they died.
 *
 * This file starts a scope. Its public options and types are in map-api.ts, the handle is map-handle.ts, the actor
 * map-actor.ts, and what the two share map-shared.ts; catch-up.ts and catch-up-rounds.ts are the catch-up's steps and how
 * its end is known; write-confirmations.ts is how `synced` knows the peers hold a node's writes.
 *
 * Gotchas: a node cut off for longer than `tombstoneTtlMs` may bring back keys deleted meanwhile (the tombstones
 * that would have overridden its copies are gone); `delete` of a key this node does not see as live does nothing.
 */
import { CohortError, InvalidOptionError } from '../../errors.ts'
import type { ActorSystem } from '../../system/actor-system.ts'
import { Peers } from '../peers.ts'
import { CatchUpRounds } from './catch-up-rounds.ts'
import { DeltaOutbox } from './delta-outbox.ts'
import { HybridLogicalClock } from './hlc.ts'
import { mapBehaviour } from './map-actor.ts'
import { MAX_MAP_TTL_MS, ReplicatedMapHandle } from './map-handle.ts'
import { dropPeer, replicatedMapActorName } from './map-shared.ts'
import type { MapMessage, Shared } from './map-shared.ts'
import { ReplicaStore } from './replica-store.ts'
import type { MapChange, MapListener } from './replica-store.ts'
import { DEFAULT_MAP_SYNCED_OPTIONS, DEFAULT_REPLICATED_MAP_OPTIONS } from './map-api.ts'
import type { ReplicatedMap, ReplicatedMapOptions } from './map-api.ts'
import { TombstoneAcks } from './tombstone-acks.ts'


/**
 * Starts a replicated map scope on this node (start it on every node that shares the data).
 * @example
 * const sessions = startReplicatedMap<{ user: string }>(system, { scope: 'sessions' })
 * sessions.set('s:42', { user: 'ada' }, { ttlMs: 60_000 })
 * sessions.subscribe((change) => console.log(change.type, change.key, 'from', change.origin))
 * sessions.get('s:42') // { user: 'ada' }, on every node once replicated
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION); CohortError (COHORT_ERR_NAME_TAKEN) if the scope runs already
 */
export function startReplicatedMap<V = unknown>(system: ActorSystem, options: ReplicatedMapOptions = {}): ReplicatedMap<V> {
  const resolved = resolveOptions(options)
  const name = replicatedMapActorName(resolved.scope)
  if (system.whereis(name) !== undefined) {
    throw new CohortError('COHORT_ERR_NAME_TAKEN', `the replicated map scope ${JSON.stringify(resolved.scope)} is already running on ${system.node}`)
  }
  const logger = system.logger.child({ scope: resolved.scope })
  const hlc = new HybridLogicalClock(system.clock)
  const shared: Shared<V> = {
    system,
    options: resolved,
    store: new ReplicaStore<V>(system.node, system.clock, hlc, resolved, logger),
    outbox: new DeltaOutbox(),
    acks: new TombstoneAcks(resolved.tombstoneTtlMs),
    peers: new Peers(system, name),
    rounds: new CatchUpRounds(),
    armedAt: Infinity,
    armRequested: false,
    flushNow: undefined,
  }
  const pid = system.spawn(mapBehaviour(shared, name), undefined, { name })
  const handle = new ReplicatedMapHandle<V>(shared, pid)
  const stopNodes = system.monitorNodes((event) => {
    if (event.type === 'nodeup') system.send(pid, { t: 'nodeup', node: event.node } satisfies MapMessage)
    else if (shared.peers.drop(event.node)) dropPeer(shared, event.node)
  })
  system.monitor(pid, () => {
    stopNodes()
    shared.store.clear()
    shared.outbox.clear()
    shared.acks.clear()
    shared.rounds.clear()
    handle.stopped = true
  })
  return handle
}

function resolveOptions(options: ReplicatedMapOptions): Readonly<Required<ReplicatedMapOptions>> {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object')
  const r = { ...DEFAULT_REPLICATED_MAP_OPTIONS, ...stripUndefined(options) }
  if (typeof r.scope !== 'string' || r.scope.length === 0) throw new InvalidOptionError('scope', r.scope, 'a non-empty string')
  if (!Number.isInteger(r.batchSize) || r.batchSize < 1) throw new InvalidOptionError('batchSize', r.batchSize, 'a positive integer')
  if (!Number.isSafeInteger(r.tombstoneTtlMs) || r.tombstoneTtlMs < 1) {
    throw new InvalidOptionError('tombstoneTtlMs', r.tombstoneTtlMs, 'a positive integer of ms')
  }
  if (!Number.isSafeInteger(r.syncIntervalMs) || r.syncIntervalMs < 0) {
    throw new InvalidOptionError('syncIntervalMs', r.syncIntervalMs, 'a non-negative integer of ms')
  }
  if (!Number.isSafeInteger(r.maxEntryBytes) || r.maxEntryBytes < 1024) {
    throw new InvalidOptionError('maxEntryBytes', r.maxEntryBytes, 'an integer of at least 1024 bytes')
  }
  return Object.freeze(r)
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}

export { replicatedMapActorName, DEFAULT_MAP_SYNCED_OPTIONS, DEFAULT_REPLICATED_MAP_OPTIONS, MAX_MAP_TTL_MS }
export type {
  MapReplicatedToOptions,
  MapScanOptions,
  MapScanResult,
  MapSetOptions,
  MapSubscribeOptions,
  MapSyncedOptions,
  ReplicatedMap,
  ReplicatedMapOptions,
  ReplicatedMapStats,
} from './map-api.ts'
export type { MapChange, MapListener }
