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
 * Gotchas: a node cut off for longer than `tombstoneTtlMs` may bring back keys deleted meanwhile (the tombstones
 * that would have overridden its copies are gone); `delete` of a key this node does not see as live does nothing.
 */
import type { Ctx } from '../../actor/ctx.ts'
import type { ServerBehaviour } from '../../actor/server-behaviour.ts'
import { assertSerializable } from '../../codec.ts'
import { CohortError, InvalidOptionError, describeValue } from '../../errors.ts'
import { Pid } from '../../pid.ts'
import type { Ref } from '../../ref.ts'
import { Down } from '../../signals.ts'
import type { ActorSystem } from '../../system/actor-system.ts'
import { Peers } from '../peers.ts'
import { ServiceHandle } from '../service-handle.ts'
import {
  childHashes,
  compareRanges,
  compareVersionLists,
  decodeRangeNumbers,
  decodeVersions,
  encodeRangeNumbers,
  rangesProblem,
  versionsOf,
  decodeWant,
  encodeWant,
  wantedEntries,
} from './catch-up.ts'
import type { WireVersions, WireWant } from './catch-up.ts'
import { DeltaOutbox } from './delta-outbox.ts'
import { HybridLogicalClock } from './hlc.ts'
import { DeltaBatchBuilder, decodeDeltaBatch } from './delta-batch.ts'
import type { ApplyEntry, DeltaFields, FindEntry } from './delta-batch.ts'
import { ReplicaStore } from './replica-store.ts'
import { TombstoneAcks } from './tombstone-acks.ts'
import type { CollectFields } from './tombstone-acks.ts'
import type { Entry, MapChange, MapListener } from './replica-store.ts'

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
}

/** The defaults of `startReplicatedMap`. */
export const DEFAULT_REPLICATED_MAP_OPTIONS: Readonly<Required<ReplicatedMapOptions>> = Object.freeze({
  scope: 'default',
  batchSize: 512,
  tombstoneTtlMs: 600_000,
  syncIntervalMs: 30_000,
})

/** Options of `ReplicatedMap.set`. */
export interface MapSetOptions {
  /** The key expires this many ms after the write, on every node. @default undefined (never) */
  ttlMs?: number
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
  /** Live keys. */
  readonly size: number
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
   * Calls `listener` with every change, local or remote (with `local: false`, only those whose origin is another
   * node); returns a function that unsubscribes.
   */
  subscribe(listener: MapListener<V>, options?: MapSubscribeOptions): () => void
  /** The nodes of this scope currently connected. */
  peers(): string[]
  stats(): ReplicatedMapStats
  /** Stops this node's map actor and clears its replica. Idempotent. */
  stop(): Promise<void>
}

type MapMessage =
  | { t: 'discover'; peer: Pid }
  | { t: 'hello'; peer: Pid }
  | ({ t: 'delta'; peer: Pid; seq?: number } & DeltaFields)
  | { t: 'ack'; peer: Pid; seq: number }
  | ({ t: 'collect'; peer: Pid } & CollectFields)
  | { t: 'ranges'; peer: Pid; parents: number[]; hashes: Uint8Array }
  | ({ t: 'versions'; peer: Pid } & WireVersions)
  | ({ t: 'want'; peer: Pid } & WireWant)
  | { t: 'flush' }
  | { t: 'sweep' }
  | { t: 'arm' }
  | { t: 'sync' }
  | { t: 'nodeup'; node: string }

/** The registered name of a map scope's actor on every node. */
export function replicatedMapActorName(scope: string): string {
  return `cohort.rmap.${scope}`
}

/** What the handle and the actor share. */
interface Shared<V> {
  readonly system: ActorSystem
  readonly options: Readonly<Required<ReplicatedMapOptions>>
  readonly store: ReplicaStore<V>
  readonly outbox: DeltaOutbox
  readonly acks: TombstoneAcks
  readonly peers: Peers
  /** When the sweep timer is armed for (Infinity: not armed). */
  armedAt: number
  armRequested: boolean
}

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
    armedAt: Infinity,
    armRequested: false,
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
    handle.stopped = true
  })
  return handle
}

function dropPeer<V>(shared: Shared<V>, node: string): void {
  shared.outbox.dropPeer(node)
  shared.acks.dropPeer(node, shared.system.clock.now())
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
  return Object.freeze(r)
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}

class ReplicatedMapHandle<V> extends ServiceHandle implements ReplicatedMap<V> {
  readonly scope: string
  readonly #shared: Shared<V>
  readonly #store: ReplicaStore<V>

  constructor(shared: Shared<V>, pid: Pid) {
    super(shared.system, pid)
    this.#shared = shared
    this.#store = shared.store
    this.scope = shared.options.scope
  }

  get size(): number {
    return this.#store.size
  }

  get(key: string): V | undefined {
    return this.#store.get(key)
  }

  getLatin1(bytes: Uint8Array, start = 0, end?: number): V | undefined {
    checkRange(bytes, start, end)
    return this.#store.getLatin1(bytes, start, end ?? bytes.length)
  }

  has(key: string): boolean {
    return this.#store.has(key)
  }

  expiresAt(key: string): number | undefined {
    return this.#store.expiresAt(key)
  }

  keys(prefix?: string): string[] {
    const out: string[] = []
    for (const e of this.#store.liveEntries(prefix)) out.push(e.key)
    return out
  }

  entries(prefix?: string): Array<[string, V]> {
    const out: Array<[string, V]> = []
    for (const e of this.#store.liveEntries(prefix)) out.push([e.key, this.#store.blocks.read(e) as V])
    return out
  }

  set(key: string, value: V, options?: MapSetOptions): void {
    this.#running()
    checkKey(key)
    this.#set(key, value, options, undefined)
  }

  setLatin1(bytes: Uint8Array, start: number, end: number, value: V, options?: MapSetOptions): void {
    this.#running()
    checkRange(bytes, start, end)
    const held = this.#store.entryOfLatin1(bytes, start, end) ?? null
    // Latin-1 strings have no surrogates, so the key needs no check beyond its range.
    this.#set(held === null ? Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1') : held.key, value, options, held)
  }

  /** `held`: the key's entry when the caller found it already (null: none; undefined: not looked up). */
  #set(key: string, value: V, options: MapSetOptions | undefined, held: Entry | null | undefined): void {
    let expiresAt = 0
    const ttlMs = options?.ttlMs
    if (ttlMs !== undefined) {
      if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) throw new InvalidOptionError('ttlMs', ttlMs, 'a positive number of ms')
      expiresAt = Math.ceil(this.#shared.system.clock.now() + ttlMs)
    }
    if (value === undefined) throw new InvalidOptionError('value', value, 'a value (use delete to remove a key)')
    if (typeof value === 'string' && LONE_SURROGATE.test(value)) {
      throw new InvalidOptionError('value', value, 'a string without unpaired surrogates (it crosses nodes as UTF-8)')
    }
    // Here, not on a peer: what cannot cross a node fails the caller's write, and nothing is stored. Bytes and
    // primitives always can, and they are what a cache mostly holds: no walk for them.
    if (!isPlainSerializable(value)) assertSerializable(value, 'value')
    this.#changed(this.#store.setLocal(key, value, expiresAt, held))
    if (expiresAt !== 0) this.#arm()
  }

  delete(key: string): boolean {
    this.#running()
    checkKey(key)
    const e = this.#store.deleteLocal(key)
    if (e === undefined) return false
    this.#changed(e)
    this.#arm()
    return true
  }

  subscribe(listener: MapListener<V>, options?: MapSubscribeOptions): () => void {
    if (typeof listener !== 'function') throw new InvalidOptionError('listener', listener, 'a function')
    const local = options?.local ?? true
    if (typeof local !== 'boolean') throw new InvalidOptionError('local', local, 'a boolean')
    return this.#store.subscribe(listener, local)
  }

  peers(): string[] {
    return this.#shared.peers.nodes()
  }

  stats(): ReplicatedMapStats {
    return { keys: this.#store.size, tombstones: this.#store.held - this.#store.size, pendingByPeer: this.#shared.outbox.sizes() }
  }

  #changed(e: Entry): void {
    // The flush is asked for after this pass of the event loop, not in this turn of the scheduler: everything set
    // while the pass handles its I/O (a socket's pipelined commands, then the next socket's) goes in one batch.
    if (this.#shared.outbox.mark(e)) this.#shared.system.clock.setImmediate(this.#requestFlush)
  }

  readonly #requestFlush = (): void => {
    if (!this.stopped) this.#shared.system.send(this.pid, FLUSH)
  }

  /** Asks the actor to re-arm its sweep timer when an expiry or collection is now due earlier than it is armed for. */
  #arm(): void {
    const due = this.#store.nextDue()
    if (due === undefined || due >= this.#shared.armedAt || this.#shared.armRequested) return
    this.#shared.armRequested = true
    this.#shared.system.send(this.pid, ARM)
  }

  #running(): void {
    if (this.stopped) {
      throw new CohortError('COHORT_ERR_NOPROC', `the replicated map scope ${JSON.stringify(this.scope)} has stopped on ${this.#shared.system.node}`)
    }
  }
}

const FLUSH: MapMessage = Object.freeze({ t: 'flush' })
const ARM: MapMessage = Object.freeze({ t: 'arm' })

/** A value the codec always carries: a primitive (not a function or symbol), or a Buffer or Uint8Array. */
function isPlainSerializable(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return true
    case 'object':
      return value === null || value instanceof Uint8Array
    default:
      return false
  }
}

/** A UTF-16 surrogate without its pair: UTF-8, which keys and string values cross in, has no way to carry one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new InvalidOptionError('key', key, 'a string')
  // Peers would hold the key with U+FFFD in its place: another key, and two maps that never agree.
  if (LONE_SURROGATE.test(key)) throw new InvalidOptionError('key', key, 'a string without unpaired surrogates (it crosses nodes as UTF-8)')
}

/** Checks a key given as bytes; `end` undefined: to the end of `bytes`. */
function checkRange(bytes: Uint8Array, start: number, end: number | undefined): void {
  if (!(bytes instanceof Uint8Array)) throw new InvalidOptionError('bytes', bytes, 'a Uint8Array')
  const to = end ?? bytes.length
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(to) && start >= 0 && start <= to && to <= bytes.length)) {
    throw new RangeError(`key range [${start}, ${to}) is not inside the ${bytes.length} bytes given`)
  }
}

/** The map actor's own state: its timers. */
interface ActorState {
  sweepTimer: Ref | undefined
}

function mapBehaviour<V>(shared: Shared<V>, name: string): ServerBehaviour<ActorState, undefined> {
  const { system, store, outbox, peers, options } = shared
  const logger = system.logger.child({ scope: options.scope })
  const drop = (from: Pid, what: string, problem: string): void => {
    logger.warn({ peer: String(from), problem }, `dropped a malformed ${what} message from a replicated map peer`)
  }
  const applyEntry: ApplyEntry = (key, wall, counter, node, deleted, expiresAt, value, placeAs, held, start, end) => {
    store.applyRemote(key, wall, counter, node, deleted, expiresAt, value, placeAs, held, start, end)
  }
  const findEntry: FindEntry = (bytes, start, end, keyHash) => store.entryOfAscii(bytes, start, end, keyHash)
  // Reused: its scratch buffer grows once to the size of a batch.
  const flushBatch = new DeltaBatchBuilder(store.blocks)
  const sendEntries = (ctx: Ctx, to: Pid, entries: Iterable<Entry>): void => {
    const batch = new DeltaBatchBuilder(store.blocks)
    for (const e of entries) {
      batch.add(e)
      if (batch.length === options.batchSize) ctx.send(to, { t: 'delta', peer: ctx.self, ...batch.take() } satisfies MapMessage)
    }
    if (batch.length > 0) ctx.send(to, { t: 'delta', peer: ctx.self, ...batch.take() } satisfies MapMessage)
  }
  const startSync = (ctx: Ctx, node: string): void => {
    const peer = peerPid(peers, node)
    if (peer === undefined) return
    ctx.send(peer, { t: 'ranges', peer: ctx.self, parents: encodeRangeNumbers([0]), hashes: childHashes(store.digest, [0]) } satisfies MapMessage)
  }
  const added = (ctx: Ctx, peer: Pid, change: 'new' | 'known' | 'replaced'): void => {
    if (change === 'known') return
    outbox.addPeer(peer.node)
    shared.acks.addPeer(peer.node)
    // One side starts the catch-up, so a pair does not run it twice.
    if (system.node < peer.node) startSync(ctx, peer.node)
  }
  const arm = (ctx: Ctx, state: ActorState): void => {
    shared.armRequested = false
    const due = store.nextDue()
    if (due === undefined || due >= shared.armedAt) return
    if (state.sweepTimer !== undefined) ctx.cancelTimer(state.sweepTimer)
    shared.armedAt = due
    state.sweepTimer = ctx.sendAfter(ctx.self, { t: 'sweep' } satisfies MapMessage, Math.max(0, due - system.clock.now()))
  }

  return {
    name,
    init(_args, ctx) {
      for (const node of system.nodes()) peers.discover(ctx, node)
      if (options.syncIntervalMs > 0) ctx.sendAfter(ctx.self, { t: 'sync' } satisfies MapMessage, options.syncIntervalMs)
      return { sweepTimer: undefined }
    },
    handleInfo(msg: MapMessage | Down, state, ctx) {
      if (typeof msg !== 'object' || msg === null) {
        logger.warn({ msg: describeValue(msg) }, 'a replicated map actor ignored an unknown message')
        return state
      }
      if (msg instanceof Down) {
        const node = peers.downOf(msg)
        if (node !== undefined) {
          peers.drop(node)
          dropPeer(shared, node)
        }
        return state
      }
      switch (msg.t) {
        case 'flush': {
          outbox.flushQueued = false
          let deletes: Entry[] | undefined
          for (const e of outbox.take(options.batchSize)) {
            flushBatch.add(e)
            if (e.deleted && e.node === system.node) (deletes ??= []).push(e)
          }
          if (flushBatch.length > 0) {
            // One message for every peer: the batch is encoded once, and messages are never changed after sending. A
            // batch with this node's deletes carries a sequence number, for the peers to acknowledge.
            const seq = deletes === undefined ? undefined : shared.acks.stamp(deletes)
            const msg = { t: 'delta', peer: ctx.self, ...flushBatch.take(), ...(seq === undefined ? {} : { seq }) } satisfies MapMessage
            for (const node of outbox.nodes()) {
              const to = peerPid(peers, node)
              if (to !== undefined) ctx.send(to, msg)
            }
          }
          // The rest goes in later turns, so other actors (and the sockets) run in between.
          if (outbox.hasPending() && !outbox.flushQueued) {
            outbox.flushQueued = true
            ctx.send(ctx.self, FLUSH)
          }
          return state
        }
        case 'nodeup':
          peers.discover(ctx, msg.node)
          return state
        case 'discover':
          if (!peers.accepts(msg.peer)) return state
          ctx.send(msg.peer, { t: 'hello', peer: ctx.self } satisfies MapMessage)
          {
            const change = peers.add(ctx, msg.peer)
            added(ctx, msg.peer, change)
            if (change !== 'known') peers.discover(ctx, msg.peer.node)
          }
          return state
        case 'hello':
          if (peers.accepts(msg.peer)) added(ctx, msg.peer, peers.add(ctx, msg.peer))
          return state
        case 'delta': {
          decodeDeltaBatch(
            msg,
            (problem) => drop(msg.peer, 'delta', problem),
            applyEntry,
            findEntry,
          )
          if (msg.seq !== undefined && Number.isSafeInteger(msg.seq) && isCurrent(peers, msg.peer)) {
            ctx.send(msg.peer, { t: 'ack', peer: ctx.self, seq: msg.seq } satisfies MapMessage)
          }
          arm(ctx, state)
          return state
        }
        case 'ack': {
          if (!isCurrent(peers, msg.peer) || !Number.isSafeInteger(msg.seq)) {
            drop(msg.peer, 'ack', 'seq must be an integer from a current peer')
            return state
          }
          shared.acks.acked(msg.peer.node, msg.seq)
          const { entries, counted } = shared.acks.collectable(system.clock.now())
          if (entries.length === 0) return state
          const keys: string[] = []
          const fps: number[] = []
          for (const e of entries) {
            keys.push(e.key)
            fps.push(e.fp >>> 0)
            store.collect(e)
          }
          peers.sendAll(ctx, { t: 'collect', peer: ctx.self, keys, fps, counted } satisfies MapMessage)
          return state
        }
        case 'collect': {
          const { keys, fps, counted } = msg
          if (!Array.isArray(keys) || !Array.isArray(fps) || keys.length !== fps.length || !Array.isArray(counted)) {
            drop(msg.peer, 'collect', 'keys and fps must be arrays of one length, counted an array')
            return state
          }
          if (!isCurrent(peers, msg.peer) || !shared.acks.mayFollow(msg.peer.node, counted as string[], system.clock.now())) return state
          for (let i = 0; i < keys.length; i++) {
            if (typeof keys[i] === 'string' && Number.isInteger(fps[i])) store.collectKey(keys[i] as string, fps[i] as number)
          }
          return state
        }
        case 'ranges': {
          const parents = decodeRangeNumbers(msg.parents)
          const problem = rangesProblem(parents, msg.hashes)
          if (problem !== undefined) {
            drop(msg.peer, 'ranges', problem)
            return state
          }
          const { descend, settle } = compareRanges(store as ReplicaStore<unknown>, parents!, msg.hashes)
          if (descend.length > 0) {
            const hashes = childHashes(store.digest, descend)
            ctx.send(msg.peer, { t: 'ranges', peer: ctx.self, parents: encodeRangeNumbers(descend), hashes } satisfies MapMessage)
          }
          if (settle.length > 0) ctx.send(msg.peer, { t: 'versions', peer: ctx.self, ...versionsOf(store as ReplicaStore<unknown>, settle) } satisfies MapMessage)
          return state
        }
        case 'versions': {
          const step = decodeVersions(msg)
          if (typeof step === 'string') {
            drop(msg.peer, 'versions', step)
            return state
          }
          const answer = compareVersionLists(store as ReplicaStore<unknown>, step)
          sendEntries(ctx, msg.peer, answer.push)
          if (answer.wantNodes.length > 0) {
            ctx.send(msg.peer, { t: 'want', peer: ctx.self, ...encodeWant(answer.wantNodes, answer.wantKeys) } satisfies MapMessage)
          }
          return state
        }
        case 'want': {
          const want = decodeWant(msg)
          if (typeof want === 'string') {
            drop(msg.peer, 'want', want)
            return state
          }
          sendEntries(ctx, msg.peer, wantedEntries(store as ReplicaStore<unknown>, want.nodes, want.keys))
          return state
        }
        case 'sweep':
          state.sweepTimer = undefined
          shared.armedAt = Infinity
          store.sweep()
          arm(ctx, state)
          return state
        case 'arm':
          arm(ctx, state)
          return state
        case 'sync':
          for (const node of peers.nodes()) if (system.node < node) startSync(ctx, node)
          ctx.sendAfter(ctx.self, { t: 'sync' } satisfies MapMessage, options.syncIntervalMs)
          return state
        default:
          logger.warn({ msg: describeValue(msg) }, 'a replicated map actor ignored an unknown message')
          return state
      }
    },
  }
}

/** True when `pid` is the current peer of its node (a message from an old incarnation, or not from a pid, is not). */
function isCurrent(peers: Peers, pid: unknown): pid is Pid {
  return pid instanceof Pid && peers.has(pid)
}

/** The pid of the current peer on `node`. */
function peerPid(peers: Peers, node: string): Pid | undefined {
  return peers.pidOf(node)
}

export type { MapChange, MapListener }
