/**
 * DeltaBatch: how a batch of map entries crosses the wire, in `delta` messages (replication and catch-up alike). The
 * batch is columnar: one array per field rather than one array per entry, so encoding and decoding a batch of 512
 * entries makes a handful of arrays instead of 512, and fields that are the same for most entries cost nothing for
 * them. Node names are sent once per batch and wall times as differences from the batch's first.
 *
 * Fields of a batch:
 * - `writers`: the node names that wrote its entries; `who[i]`, the index of entry i's writer, is left out (null)
 *   when there is one writer;
 * - `base`, `walls[i]` (wall - base), `counters[i]`: the versions;
 * - `keys[i]`, `values[i]` (null for a delete);
 * - `deleted`: the indexes of deletes (null when none);
 * - `expires`: pairs `[index, expiresAt - wall]` of entries that expire (null when none).
 *
 * Values that are Buffers are copied out of the frame they arrived in (`ownBytes`), so a stored value never keeps a
 * whole received frame alive.
 *
 * Hot path: every replicated write passes through `add` and `decodeDeltaBatch`.
 */
import { Buffer } from 'node:buffer'
import type { Entry } from './replica-store.ts'
import { wireEntryProblem } from './replica-store.ts'

/** The fields of a `delta` message. */
export interface DeltaFields {
  readonly writers: string[]
  readonly who: number[] | null
  readonly base: number
  readonly keys: string[]
  readonly walls: number[]
  readonly counters: number[]
  readonly values: unknown[]
  readonly deleted: number[] | null
  readonly expires: number[] | null
}

/** What a decoded entry is handed to. */
export type ApplyEntry = (key: string, wall: number, counter: number, node: string, deleted: boolean, expiresAt: number, value: unknown) => void

/** Collects entries into a batch. */
export class DeltaBatchBuilder {
  #writers: string[] = []
  #index = new Map<string, number>()
  #who: number[] = []
  #base = 0
  #keys: string[] = []
  #walls: number[] = []
  #counters: number[] = []
  #values: unknown[] = []
  #deleted: number[] | null = null
  #expires: number[] | null = null

  get length(): number {
    return this.#keys.length
  }

  add(e: Entry): void {
    const i = this.#keys.length
    if (i === 0) this.#base = e.wall
    let w = this.#index.get(e.node)
    if (w === undefined) {
      w = this.#writers.length
      this.#writers.push(e.node)
      this.#index.set(e.node, w)
    }
    this.#who.push(w)
    this.#keys.push(e.key)
    this.#walls.push(e.wall - this.#base)
    this.#counters.push(e.counter)
    this.#values.push(e.deleted ? null : e.value)
    if (e.deleted) (this.#deleted ??= []).push(i)
    if (e.expiresAt !== 0) (this.#expires ??= []).push(i, e.expiresAt - e.wall)
  }

  /** The batch so far, and a fresh start. */
  take(): DeltaFields {
    const out: DeltaFields = {
      writers: this.#writers,
      who: this.#writers.length > 1 ? this.#who : null,
      base: this.#base,
      keys: this.#keys,
      walls: this.#walls,
      counters: this.#counters,
      values: this.#values,
      deleted: this.#deleted,
      expires: this.#expires,
    }
    this.#writers = []
    this.#index = new Map()
    this.#who = []
    this.#keys = []
    this.#walls = []
    this.#counters = []
    this.#values = []
    this.#deleted = null
    this.#expires = null
    return out
  }
}

const isIntArray = (a: unknown, n: number): a is number[] => Array.isArray(a) && a.length === n && a.every((x) => Number.isSafeInteger(x))

/**
 * Decodes a peer's batch and hands each entry, with its absolute version, to `apply`. A malformed batch is reported
 * through `onProblem` and skipped; a malformed entry is reported and left out, and the rest still apply.
 */
export function decodeDeltaBatch(msg: Partial<Record<keyof DeltaFields, unknown>>, onProblem: (problem: string) => void, apply: ApplyEntry): void {
  const { writers, who, base, keys, walls, counters, values, deleted, expires } = msg
  if (!Array.isArray(keys)) return onProblem('keys must be an array')
  const n = keys.length
  if (!Array.isArray(writers) || writers.length === 0 || !writers.every((w) => typeof w === 'string')) return onProblem('writers must be node names')
  if (!Number.isSafeInteger(base)) return onProblem('base must be an integer')
  if (!isIntArray(walls, n) || !isIntArray(counters, n)) return onProblem('walls and counters must be integers, one per key')
  if (!Array.isArray(values) || values.length !== n) return onProblem('values must be an array, one per key')
  if (who !== null && !isIntArray(who, n)) return onProblem('who must be null or writer indexes, one per key')
  if (deleted !== null && !(Array.isArray(deleted) && deleted.every((i) => Number.isInteger(i)))) return onProblem('deleted must be null or indexes')
  if (expires !== null && !(Array.isArray(expires) && expires.length % 2 === 0 && expires.every((x) => Number.isSafeInteger(x)))) {
    return onProblem('expires must be null or pairs of index and ms')
  }
  const isDeleted = deleted === null ? undefined : new Set(deleted as number[])
  const expiresIn = new Map<number, number>()
  if (expires !== null) for (let j = 0; j < expires.length; j += 2) expiresIn.set(expires[j] as number, expires[j + 1] as number)
  for (let i = 0; i < n; i++) {
    const wall = (base as number) + walls[i]!
    const node = writers[who === null ? 0 : who[i]!] as string
    const key = keys[i] as string
    const isDel = isDeleted?.has(i) === true
    const ttl = expiresIn.get(i)
    const expiresAt = ttl === undefined ? 0 : wall + ttl
    const problem = wireEntryProblem(key, wall, counters[i]!, node, expiresAt)
    if (problem !== undefined) {
      onProblem(problem)
      continue
    }
    apply(key, wall, counters[i]!, node, isDel, expiresAt, isDel ? undefined : ownBytes(values[i]))
  }
}

/**
 * A value of bytes decoded from a batch is a view into the whole frame it arrived in; stored as it is, one small
 * value would keep the frame (tens of KiB) alive for as long as its key is not overwritten. So a Buffer or typed
 * array value gets bytes of its own, in an ArrayBuffer of its own (a pooled Buffer would pin the pool's 8 KiB slab
 * the same way). Bytes nested inside an object value are left as they are: see the README.
 */
function ownBytes(value: unknown): unknown {
  if (!ArrayBuffer.isView(value) || value.byteLength === value.buffer.byteLength) return value
  const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  if (Buffer.isBuffer(value)) {
    const copy = Buffer.allocUnsafeSlow(value.byteLength)
    copy.set(bytes)
    return copy
  }
  if (value instanceof Uint8Array) return new Uint8Array(bytes)
  return value
}
