/**
 * The handle of a replicated map scope (`ReplicatedMap`): reads straight from the local replica, writes into it at
 * once and asks the map actor (map-actor.ts) to send the change, and checks every key and value a caller gives before
 * anything is stored.
 *
 * Hot path: `get`, `set` and their Latin-1 forms, on every read and write of the cache.
 */
import { Buffer } from 'node:buffer'
import { serializableBound } from '../../codec.ts'
import { CohortError, InvalidOptionError } from '../../errors.ts'
import type { Pid } from '../../pid.ts'
import { ServiceHandle } from '../service-handle.ts'
import { encodedValueBytes } from './delta-batch.ts'
import { ARM, FLUSH } from './map-shared.ts'
import type { ConfirmRequest, Shared } from './map-shared.ts'
import type { ConfirmationOutcome } from './write-confirmations.ts'
import type { Entry } from './entry.ts'
import type { MapListener, ReplicaStore } from './replica-store.ts'
import { DEFAULT_MAP_SYNCED_OPTIONS } from './map-api.ts'
import type {
  MapReplicatedToOptions,
  MapScanOptions,
  MapScanResult,
  MapSetOptions,
  MapSubscribeOptions,
  MapSyncedOptions,
  ReplicatedMap,
  ReplicatedMapStats,
} from './map-api.ts'

/**
 * The longest `ttlMs`: a hundred years. An expiry crosses nodes as a whole number of ms since 1970, and one past 2^53
 * (or a `ttlMs` such as 1e300) could not: peers dropped the entry, or the rest of its batch.
 */
export const MAX_MAP_TTL_MS = 100 * 365.25 * 24 * 3600 * 1000

export class ReplicatedMapHandle<V> extends ServiceHandle implements ReplicatedMap<V> {
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

  get bytes(): number {
    return this.#store.bytes
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

  scan(cursor: number, options?: MapScanOptions): MapScanResult {
    if (!Number.isSafeInteger(cursor) || cursor < 0) throw new InvalidOptionError('cursor', cursor, 'a whole number of at least 0, from 0 or the last scan')
    const count = options?.count ?? 10
    if (!Number.isSafeInteger(count) || count < 1) throw new InvalidOptionError('count', count, 'a whole number of at least 1')
    const prefix = options?.prefix
    if (prefix !== undefined && typeof prefix !== 'string') throw new InvalidOptionError('prefix', prefix, 'a string')
    const keys: string[] = []
    return { cursor: this.#store.scan(cursor, count, prefix, keys), keys }
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
    // As in getLatin1, an `end` left out is the end of `bytes` (not a key of NaN bytes, which was the empty key).
    const to = end ?? bytes.length
    const held = this.#store.entryOfLatin1(bytes, start, to) ?? null
    // Latin-1 strings have no surrogates, so the key needs no check beyond its range.
    this.#set(held === null ? Buffer.from(bytes.buffer, bytes.byteOffset + start, to - start).toString('latin1') : held.key, value, options, held)
  }

  /** `held`: the key's entry when the caller found it already (null: none; undefined: not looked up). */
  #set(key: string, value: V, options: MapSetOptions | undefined, held: Entry | null | undefined): void {
    let expiresAt = 0
    const ttlMs = options?.ttlMs
    if (ttlMs !== undefined) {
      if (typeof ttlMs !== 'number' || !(ttlMs > 0 && ttlMs <= MAX_MAP_TTL_MS)) {
        throw new InvalidOptionError('ttlMs', ttlMs, `a positive number of ms, at most ${MAX_MAP_TTL_MS} (100 years)`)
      }
      expiresAt = Math.ceil(this.#shared.system.clock.now() + ttlMs)
    }
    if (value === undefined) throw new InvalidOptionError('value', value, 'a value (use delete to remove a key)')
    if (typeof value === 'string' && !value.isWellFormed()) {
      throw new InvalidOptionError('value', value, 'a string without unpaired surrogates (it crosses nodes as UTF-8)')
    }
    // Here, not on a peer: what cannot cross a node fails the caller's write, and nothing is stored. Bytes and
    // primitives always can, and they are what a cache mostly holds: no walk for them.
    const valueBound = isPlainSerializable(value) ? plainBound(value) : serializableBound(value, 'value', { wellFormedStrings: true })
    checkEntryBytes(key, value, valueBound, this.#shared.options.maxEntryBytes)
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

  flush(): void {
    if (!this.stopped && this.#shared.outbox.hasPending()) this.#shared.flushNow?.()
  }

  async synced(options: MapSyncedOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object')
    const timeoutMs = options.timeoutMs ?? DEFAULT_MAP_SYNCED_OPTIONS.timeoutMs
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new InvalidOptionError('timeoutMs', timeoutMs, 'a positive number of milliseconds')
    }
    const { missing } = await this.#confirm(Infinity, timeoutMs)
    if (missing.length > 0) {
      throw new CohortError(
        'COHORT_ERR_MAP_NOT_SYNCED',
        `the replicated map scope ${JSON.stringify(this.scope)} of ${missing.join(', ')} did not confirm ${this.#shared.system.node}'s changes within ${timeoutMs} ms: check that node, or its connection`,
      )
    }
  }

  async replicatedTo(options: MapReplicatedToOptions): Promise<string[]> {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object with atLeast and timeoutMs')
    const { atLeast, timeoutMs } = options
    if (!Number.isSafeInteger(atLeast) || atLeast < 0) throw new InvalidOptionError('atLeast', atLeast, 'a whole number of peers, 0 or more')
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw new InvalidOptionError('timeoutMs', timeoutMs, 'a positive number of milliseconds, or Infinity')
    return (await this.#confirm(atLeast, timeoutMs)).confirmed
  }

  /** Asks the actor for a confirmation of the changes queued so far; the actor answers at `timeoutMs` itself. */
  async #confirm(atLeast: number, timeoutMs: number): Promise<ConfirmationOutcome> {
    this.#running()
    const request: ConfirmRequest = { t: 'confirm', atLeast, upTo: this.#shared.outbox.queued, timeoutMs }
    try {
      // The call's own timeout is only a backstop.
      return await this.#shared.system.call<ConfirmationOutcome>(this.pid, request, timeoutMs === Infinity ? Infinity : timeoutMs + 5_000)
    } catch (err) {
      this.#running()
      throw err
    }
  }

  subscribe(listener: MapListener<V>, options?: MapSubscribeOptions): () => void {
    if (typeof listener !== 'function') throw new InvalidOptionError('listener', listener, 'a function')
    const local = options?.local === undefined ? true : options.local
    if (typeof local !== 'boolean') throw new InvalidOptionError('local', local, 'a boolean')
    return this.#store.subscribe(listener, local)
  }

  peers(): string[] {
    return this.#shared.peers.nodes()
  }

  caughtUp(): string[] {
    return this.#shared.rounds.caughtUp()
  }

  stats(): ReplicatedMapStats {
    return { keys: this.#store.size, tombstones: this.#store.held - this.#store.size, bytes: this.#store.bytes, pendingByPeer: this.#shared.outbox.sizes() }
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

/**
 * Throws when `key` and `value` would take more than `max` bytes in a replication message: every entry must fit in
 * one message between nodes, and one over the transport's limit would fail there, on its way to each peer, instead
 * of here. Bytes and strings are sized from their length, other values from the bound of the walk that checked
 * them (`serializableBound`); only a value near the limit, or one the walk knows no bound of, is encoded to be measured.
 */
function checkEntryBytes(key: string, value: unknown, valueBound: number, max: number): void {
  // Upper bounds first (UTF-8 takes at most 3 bytes a UTF-16 unit): the exact size is needed only near the limit, or
  // for a value the walk knows no bound of.
  if (key.length * 3 + valueBound <= max) return
  const bytes =
    Buffer.byteLength(key) +
    (value instanceof Uint8Array ? value.byteLength : typeof value === 'string' ? Buffer.byteLength(value) : encodedValueBytes(value))
  if (bytes > max) {
    throw new InvalidOptionError('value', value, `a key and value of at most ${max} bytes together, encoded (maxEntryBytes); these take ${bytes}`)
  }
}

/** The bound of a value `isPlainSerializable` passes: its bytes, a string's UTF-8 at most, or a scalar's 9. */
function plainBound(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength
  if (typeof value === 'string') return value.length * 3
  return typeof value === 'bigint' ? Infinity : 9
}

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

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new InvalidOptionError('key', key, 'a string')
  // A UTF-16 surrogate without its pair (what `isWellFormed` finds) has no UTF-8, which keys cross in: peers would
  // hold the key with U+FFFD in its place, another key, and two maps that never agree.
  if (!key.isWellFormed()) throw new InvalidOptionError('key', key, 'a string without unpaired surrogates (it crosses nodes as UTF-8)')
}

/** Checks a key given as bytes; `end` undefined: to the end of `bytes`. */
function checkRange(bytes: Uint8Array, start: number, end: number | undefined): void {
  if (!(bytes instanceof Uint8Array)) throw new InvalidOptionError('bytes', bytes, 'a Uint8Array')
  const to = end ?? bytes.length
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(to) && start >= 0 && start <= to && to <= bytes.length)) {
    throw new RangeError(`key range [${start}, ${to}) is not inside the ${bytes.length} bytes given`)
  }
}
