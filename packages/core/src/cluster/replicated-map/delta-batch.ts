/**
 * DeltaBatch: how a batch of map entries crosses the wire, in `delta` messages (replication and catch-up alike).
 * Node names are sent once per batch (entries refer to them by index) and wall times as differences from the batch's
 * first, so an entry's overhead beyond its key and value is a few bytes, not the 30 or so that a node name like
 * `cache@10.0.0.5` and a 9-byte timestamp would take in every entry.
 *
 * An entry in a batch: `[key, wall - base, counter, writer index, deleted (1) or not (0), expiresAt - wall or null
 * when it never expires, value or null]`.
 *
 * Values that are Buffers are copied out of the frame they arrived in (`ownBytes`), so a stored value never keeps a
 * whole received frame alive.
 *
 * Hot path: every replicated write passes through `add`.
 */
import { Buffer } from 'node:buffer'
import type { Entry, WireEntry } from './replica-store.ts'
import { wireEntryProblem } from './replica-store.ts'

type BatchEntry = [string, number, number, number, 0 | 1, number | null, unknown]

/** The fields of a `delta` message. */
export interface DeltaFields {
  readonly writers: string[]
  readonly base: number
  readonly entries: BatchEntry[]
}

/** Collects entries into a batch. */
export class DeltaBatchBuilder {
  #writers: string[] = []
  #index = new Map<string, number>()
  #entries: BatchEntry[] = []
  #base = 0

  get length(): number {
    return this.#entries.length
  }

  add(e: Entry): void {
    if (this.#entries.length === 0) this.#base = e.wall
    let w = this.#index.get(e.node)
    if (w === undefined) {
      w = this.#writers.length
      this.#writers.push(e.node)
      this.#index.set(e.node, w)
    }
    this.#entries.push([
      e.key,
      e.wall - this.#base,
      e.counter,
      w,
      e.deleted ? 1 : 0,
      e.expiresAt === 0 ? null : e.expiresAt - e.wall,
      e.deleted ? null : e.value,
    ])
  }

  /** The batch so far, and a fresh start. */
  take(): DeltaFields {
    const out = { writers: this.#writers, base: this.#base, entries: this.#entries }
    this.#writers = []
    this.#index = new Map()
    this.#entries = []
    return out
  }
}

/**
 * Decodes a peer's batch into entries with absolute versions. Entries that are malformed are reported through
 * `onProblem` and left out; the rest still apply.
 */
export function decodeDeltaBatch(msg: { writers?: unknown; base?: unknown; entries?: unknown }, onProblem: (problem: string) => void): WireEntry[] {
  const { writers, base, entries } = msg
  if (!Array.isArray(writers) || !writers.every((w) => typeof w === 'string')) {
    onProblem('writers must be node names')
    return []
  }
  if (!Number.isSafeInteger(base)) {
    onProblem('base must be an integer')
    return []
  }
  if (!Array.isArray(entries)) {
    onProblem('entries must be an array')
    return []
  }
  const out: WireEntry[] = []
  for (const b of entries as unknown[]) {
    if (!Array.isArray(b) || b.length !== 7 || !Number.isSafeInteger(b[1]) || !Number.isInteger(b[3])) {
      onProblem('an entry must be [key, wall, counter, writer, deleted, expiresIn, value]')
      continue
    }
    const wall = (base as number) + (b[1] as number)
    const writer = writers[b[3] as number]
    const expiresIn = b[5] as unknown
    if (expiresIn !== null && !Number.isSafeInteger(expiresIn)) {
      onProblem(`expiresIn of ${String(b[0])} must be an integer or null`)
      continue
    }
    const w: WireEntry = [b[0] as string, wall, b[2] as number, writer as string, b[4] as 0 | 1, expiresIn === null ? 0 : wall + (expiresIn as number), ownBytes(b[6])]
    const problem = wireEntryProblem(w)
    if (problem === undefined) out.push(w)
    else onProblem(problem)
  }
  return out
}

/**
 * A value of bytes decoded from a batch is a view into the whole frame it arrived in; stored as it is, one small
 * value would keep the frame (tens of KiB) alive for as long as its key is not overwritten. So a Buffer or typed
 * array value gets bytes of its own, in an ArrayBuffer of its own (a pooled Buffer would pin the pool's 8 KiB slab
 * the same way). Bytes nested inside an object value are left as they are: see the README's Gotchas.
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
