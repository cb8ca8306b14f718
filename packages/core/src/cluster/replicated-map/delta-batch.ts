/**
 * DeltaBatch: how a batch of map entries crosses the wire, in `delta` messages (replication and catch-up alike). A
 * batch is encoded once into one byte string, and the same bytes go to every peer: the transport then copies (or, for
 * a large batch, splices) them instead of walking 512 keys and values once per peer. Node names are sent once per
 * batch, beside the bytes, and wall times as differences from the batch's first.
 *
 * Fields of a `delta` message: `writers` (the node names that wrote its entries), `base` (the first entry's wall
 * time), `count` (entries) and `data`, the entries one after the other, each:
 * - a flags byte: bit 0 deleted, bit 1 has an expiry, bits 2–4 the value's kind (none, Buffer, Uint8Array, string,
 *   or any other value in core's codec);
 * - as LEB128 varints: the writer's index in `writers`, the wall time less `base` (zigzag: it may be negative), the
 *   counter, and, with an expiry, `expiresAt` less the wall time (zigzag);
 * - the key: its UTF-8 length (varint) and bytes;
 * - the value, unless deleted: its length (varint) and bytes (UTF-8 for a string, msgpack for a codec value).
 *
 * Values that are bytes are handed over as views of the received frame, with `placeAs` saying so: the store copies
 * those that win their merge into memory it owns (value-blocks.ts), so a stored value never keeps a whole received
 * frame alive, and a version that loses costs no copy.
 *
 * Hot path: every replicated write passes through `add` and `decodeDeltaBatch`.
 */
import { Buffer } from 'node:buffer'
import { sharedMessageCodec } from '../../codec.ts'
import { internNodeName } from '../../node-name.ts'
import type { Entry } from './entry.ts'
import type { ReplicaStore } from './replica-store.ts'
import { viewOf } from './byte-copy.ts'
import { hashAsciiBytes } from './key-hash.ts'
import { wireEntryProblem } from './replica-store.ts'
import { NO_BLOCK, PLACE_BUFFER, PLACE_BYTES, PLACE_NONE } from './value-blocks.ts'
import type { ValueBlocks } from './value-blocks.ts'

/** The fields of a `delta` message. */
export interface DeltaFields {
  readonly writers: string[]
  readonly base: number
  readonly count: number
  readonly data: Uint8Array
}

/**
 * What a decoded entry is handed to: `ReplicaStore.applyRemote`'s arguments. `held` is the receiver's entry of the
 * key, when `decodeDeltaBatch` was given a way to find it (null: it holds none), or undefined when it was not looked up.
 */
export type ApplyEntry = (...entry: Parameters<ReplicaStore<unknown>['applyRemote']>) => void

/** Finds the receiver's entry of an ASCII key from its bytes and `hashAsciiBytes` (ReplicaStore.entryOfAscii). */
export type FindEntry = (bytes: Uint8Array, start: number, end: number, keyHash: number) => Entry | undefined

/**
 * Loads what finding the entries of a batch's keys will read, for all of them at once, before the batch is applied
 * (ReplicaStore.warmAscii): `keyHashes` holds `count` key hashes, signed, -1 for a key that is not ASCII.
 */
export type WarmEntries = (keyHashes: Int32Array, count: number) => void

const DELETED = 1
const EXPIRES = 2
const KIND_SHIFT = 2
const KIND_MASK = 7
const KIND_NONE = 0
const KIND_BUFFER = 1
const KIND_BYTES = 2
const KIND_STRING = 3
const KIND_CODEC = 4

/** Most bytes a varint takes (a safe integer). */
const MAX_VARINT = 8
/** The scratch buffer a builder starts with; it grows to fit the largest batch. */
const INITIAL_BYTES = 16 * 1024

/** Core's codec, for values that are not bytes or strings. */
const valueCodec = sharedMessageCodec

/** The bytes a value that is not bytes nor a string takes in a batch: its encoding in core's codec. */
export function encodedValueBytes(value: unknown): number {
  return valueCodec().encode(value).length
}

/** Collects entries into a batch. */
export class DeltaBatchBuilder {
  /** The replica's value memory, where the bytes of entries kept in blocks are copied from. */
  readonly #blocks: ValueBlocks
  #writers: string[] = []
  #index = new Map<string, number>()
  #base = 0
  #count = 0
  #buf: Buffer = Buffer.allocUnsafe(INITIAL_BYTES)
  /** A DataView over exactly `#buf`, for the copies of values out of blocks (byte-copy.ts). */
  #view = viewOf(this.#buf)
  #at = 0
  #lastWriter = ''
  #lastIndex = 0

  constructor(blocks: ValueBlocks) {
    this.#blocks = blocks
  }

  get length(): number {
    return this.#count
  }

  /** The bytes of the entries added since the last `take`. */
  get bytes(): number {
    return this.#at
  }

  add(e: Entry): void {
    if (this.#count === 0) this.#base = e.wall
    this.#count++
    // Runs of entries share a writer (all of them, when a node flushes its own writes): checked before the map.
    let w = e.node === this.#lastWriter ? this.#lastIndex : this.#index.get(e.node)
    if (w === undefined) {
      w = this.#writers.length
      this.#writers.push(e.node)
      this.#index.set(e.node, w)
    }
    this.#lastWriter = e.node
    this.#lastIndex = w
    const key = e.key
    // Bytes kept in a block are copied straight from it; everything else is the entry's value itself.
    const inBlock = !e.deleted && e.block !== NO_BLOCK
    const value = e.deleted || inBlock ? undefined : e.value
    let kind = KIND_NONE
    let encoded: Uint8Array | undefined
    let valueBound = 0
    if (inBlock) {
      kind = e.asBuffer ? KIND_BUFFER : KIND_BYTES
      valueBound = e.length
    } else if (value !== undefined) {
      if (Buffer.isBuffer(value)) {
        kind = KIND_BUFFER
        valueBound = value.length
      } else if (value instanceof Uint8Array && value.constructor === Uint8Array) {
        kind = KIND_BYTES
        valueBound = value.length
      } else if (typeof value === 'string') {
        kind = KIND_STRING
        valueBound = value.length * 3
      } else {
        kind = KIND_CODEC
        encoded = valueCodec().encode(value)
        valueBound = encoded.length
      }
    }
    this.#reserve(1 + 6 * MAX_VARINT + key.length * 3 + valueBound)
    const buf = this.#buf
    buf[this.#at++] = (e.deleted ? DELETED : 0) | (e.expiresAt !== 0 ? EXPIRES : 0) | (kind << KIND_SHIFT)
    this.#varint(w)
    this.#varint(zigzag(e.wall - this.#base))
    this.#varint(e.counter)
    if (e.expiresAt !== 0) this.#varint(zigzag(e.expiresAt - e.wall))
    this.#string(key)
    if (inBlock) {
      this.#varint(e.length)
      this.#blocks.copyOut(e, buf, this.#view, this.#at)
      this.#at += e.length
      return
    }
    switch (kind) {
      case KIND_BUFFER:
      case KIND_BYTES: {
        const bytes = value as Uint8Array
        this.#varint(bytes.length)
        buf.set(bytes, this.#at)
        this.#at += bytes.length
        break
      }
      case KIND_STRING:
        this.#string(value as string)
        break
      case KIND_CODEC:
        this.#varint(encoded!.length)
        buf.set(encoded!, this.#at)
        this.#at += encoded!.length
        break
    }
  }

  /** The batch so far, and a fresh start. The bytes are the batch's own (the builder's scratch is reused). */
  take(): DeltaFields {
    const data = Buffer.allocUnsafe(this.#at)
    this.#buf.copy(data, 0, 0, this.#at)
    const out: DeltaFields = { writers: this.#writers, base: this.#base, count: this.#count, data }
    this.#writers = []
    this.#index = new Map()
    this.#lastWriter = ''
    this.#count = 0
    this.#at = 0
    return out
  }

  #reserve(bytes: number): void {
    if (this.#at + bytes <= this.#buf.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + bytes))
    this.#buf.copy(grown, 0, 0, this.#at)
    this.#buf = grown
    this.#view = viewOf(grown)
  }

  #varint(n: number): void {
    const buf = this.#buf
    while (n >= 0x80) {
      buf[this.#at++] = (n % 0x80) | 0x80
      n = Math.floor(n / 0x80)
    }
    buf[this.#at++] = n
  }

  /**
   * A string's UTF-8 length and bytes; the length's varint is sized from the bound, then filled in. A short ASCII
   * string (most keys) is copied by a loop: cheaper than a call into the native encoder for a few bytes.
   */
  #string(s: string): void {
    if (s.length * 3 < 0x80) {
      const buf = this.#buf
      const start = this.#at++
      let at = this.#at
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) {
          at = this.#at + buf.write(s, this.#at)
          break
        }
        buf[at++] = c
      }
      buf[start] = at - this.#at
      this.#at = at
    } else {
      this.#varint(Buffer.byteLength(s))
      this.#at += this.#buf.write(s, this.#at)
    }
  }
}

/** The string of a short run of ASCII bytes, or undefined (longer, or not ASCII): the native decoder does those. */
function shortAscii(buf: Buffer, start: number, end: number): string | undefined {
  if (end - start > 24) return undefined
  let s = ''
  for (let i = start; i < end; i++) {
    const c = buf[i]!
    if (c >= 0x80) return undefined
    s += String.fromCharCode(c)
  }
  return s
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2
}

/** Reads a batch's bytes; `fail` is set instead of throwing, so a malformed batch costs one check per read. */
class Reader {
  readonly buf: Buffer
  at = 0
  fail = false

  constructor(data: Uint8Array) {
    this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  }

  varint(): number {
    const buf = this.buf
    let n = 0
    let scale = 1
    for (let i = 0; i < MAX_VARINT; i++) {
      if (this.at >= buf.length) break
      const b = buf[this.at++]!
      n += (b & 0x7f) * scale
      if (b < 0x80) return n
      scale *= 0x80
    }
    this.fail = true
    return 0
  }

  /** The next `n` bytes' bounds, or fails. */
  span(n: number): number {
    const start = this.at
    if (this.fail || n > this.buf.length - start) {
      this.fail = true
      return start
    }
    this.at = start + n
    return start
  }
}

/**
 * Entries of a batch whose lookups are warmed together, at most: eight times the default `batchSize`. The rest are
 * looked up one by one, as without a warm-up; the scratch array below never grows past this, whatever count and data
 * a peer sends (a batch as large as `maxMessageBytes` would have made it 4 bytes per byte of data, kept for good).
 */
export const WARM_MAX_ENTRIES = 4096

/**
 * The key hashes of the batch being decoded (`scanKeyHashes`), grown up to WARM_MAX_ENTRIES. Module state, shared by
 * every map in the process: a decode runs from start to end synchronously, and nothing it calls (the store, a change's
 * listeners) can start another decode, which only a map actor's own turn does.
 */
let keyHashes = new Int32Array(512)

/**
 * Reads the key hash (`hashAsciiBytes`, signed; -1 for a key that is not ASCII) of each of the first `count` entries
 * of `buf` (at most WARM_MAX_ENTRIES) into `keyHashes`, as far as the bytes parse; returns how many it read.
 * `decodeDeltaBatch` parses and checks them again as it applies them, and takes the hashes from here (`scannedHash`).
 */
function scanKeyHashes(buf: Buffer, count: number): number {
  // Every entry takes at least a byte: a peer's count beyond that is an error the decoder reports, not a size to make.
  count = Math.min(count, buf.length, WARM_MAX_ENTRIES)
  if (keyHashes.length < count) keyHashes = new Int32Array(count)
  const r = new Reader(buf)
  let i = 0
  for (; i < count && r.at < buf.length; i++) {
    const flags = buf[r.at++]!
    r.varint()
    r.varint()
    r.varint()
    if ((flags & EXPIRES) !== 0) r.varint()
    const keyStart = r.span(r.varint())
    if (r.fail) break
    keyHashes[i] = hashAsciiBytes(buf, keyStart, r.at) | 0
    if (((flags >> KIND_SHIFT) & KIND_MASK) !== KIND_NONE) r.span(r.varint())
    if (r.fail) break
  }
  return i
}

/**
 * A scanned key hash as `hashAsciiBytes` returns it: unsigned, or -1 for a key that is not ASCII. (An ASCII key whose
 * hash is 0xFFFFFFFF reads as -1 too, and is then looked up by its string, as a non-ASCII key is.)
 */
function scannedHash(signed: number): number {
  return signed === -1 ? -1 : signed >>> 0
}

/**
 * Decodes a peer's batch and hands each entry, with its absolute version, to `apply`. A malformed batch is reported
 * through `onProblem` and skipped from where it went wrong; a malformed entry is reported and left out, and the
 * others still apply. With `find`, an ASCII key the receiver holds is looked up from its bytes and handed over as
 * the held entry with its key, so no string is made of it; with `warm` too, what those lookups read is loaded for the
 * whole batch first, the keys' cache misses overlapping instead of coming one after another.
 */
export function decodeDeltaBatch(
  msg: Partial<Record<keyof DeltaFields, unknown>>,
  onProblem: (problem: string) => void,
  apply: ApplyEntry,
  find?: FindEntry,
  warm?: WarmEntries,
): void {
  const { writers, base, count, data } = msg
  if (!Array.isArray(writers) || writers.length === 0 || !writers.every((w) => typeof w === 'string')) return onProblem('writers must be node names')
  if (!Number.isSafeInteger(base)) return onProblem('base must be an integer')
  if (!Number.isSafeInteger(count) || (count as number) < 0) return onProblem('count must be a non-negative integer')
  if (!(data instanceof Uint8Array)) return onProblem('data must be bytes')
  // One string per writer name (node-name.ts): an entry keeps its writer's name as long as that version lives, and
  // storing the batch's newly decoded string into a long-lived entry took the write barrier's slow path per entry.
  const names = (writers as string[]).map(internNodeName)
  const r = new Reader(data)
  const buf = r.buf
  // The hashes the warm-up scanned are the ones the lookups need: entries up to `scanned` parse the same way below.
  const scanned = find !== undefined && warm !== undefined ? scanKeyHashes(buf, count as number) : 0
  if (scanned > 0) warm!(keyHashes, scanned)
  for (let i = 0; i < (count as number); i++) {
    if (r.at >= buf.length) return onProblem(`data ends after ${i} of ${String(count)} entries`)
    const flags = buf[r.at++]!
    const w = r.varint()
    const wall = (base as number) + unzigzag(r.varint())
    const counter = r.varint()
    const expiresAt = (flags & EXPIRES) !== 0 ? wall + unzigzag(r.varint()) : 0
    const keyStart = r.span(r.varint())
    if (r.fail) return onProblem(`entry ${i} is truncated`)
    let held: Entry | null | undefined
    const keyHash = find === undefined ? -1 : i < scanned ? scannedHash(keyHashes[i]!) : hashAsciiBytes(buf, keyStart, r.at)
    if (keyHash !== -1) held = find!(buf, keyStart, r.at, keyHash) ?? null
    const key = held?.key ?? shortAscii(buf, keyStart, r.at) ?? buf.toString('utf8', keyStart, r.at)
    const deleted = (flags & DELETED) !== 0
    const kind = (flags >> KIND_SHIFT) & KIND_MASK
    let value: unknown
    let valueStart: number | undefined
    let valueEnd: number | undefined
    if (kind !== KIND_NONE) {
      const start = r.span(r.varint())
      if (r.fail) return onProblem(`the value of ${key} is truncated`)
      valueStart = start
      valueEnd = r.at
      // Bytes stay in the frame: the store copies them from there, and only if the entry wins its merge.
      const decoded = kind === KIND_BUFFER || kind === KIND_BYTES ? buf : decodeValue(kind, buf, start, r.at)
      if (typeof decoded === 'object' && decoded !== null && decoded instanceof BadValue) {
        onProblem(`the value of ${key} ${decoded.problem}`)
        continue
      }
      value = decoded
    }
    if (w >= names.length) {
      onProblem(`the writer of ${key} is not in writers`)
      continue
    }
    const node = names[w]!
    const problem = wireEntryProblem(key, wall, counter, node, expiresAt)
    if (problem !== undefined) {
      onProblem(problem)
      continue
    }
    // A key seen to expire has let go of its value, and it goes to a peer that missed the expiry (in a catch-up)
    // without one: only a key with an expiry may come without a value, and a deleted one never has one.
    if (deleted ? kind !== KIND_NONE : kind === KIND_NONE && expiresAt === 0) {
      onProblem(deleted ? `${key} is deleted and must not have a value` : `${key} must have a value unless deleted or expired`)
      continue
    }
    apply(key, wall, counter, node, deleted, expiresAt, value, kind === KIND_BUFFER ? PLACE_BUFFER : kind === KIND_BYTES ? PLACE_BYTES : PLACE_NONE, held, valueStart, valueEnd)
  }
  if (r.at !== buf.length) onProblem('data is longer than its entries')
}

class BadValue {
  readonly problem: string
  constructor(problem: string) {
    this.problem = problem
  }
}

function decodeValue(kind: number, buf: Buffer, start: number, end: number): unknown {
  switch (kind) {
    case KIND_STRING:
      return buf.toString('utf8', start, end)
    case KIND_CODEC:
      try {
        return valueCodec().decode(buf.subarray(start, end))
      } catch (error) {
        return new BadValue(`is not valid msgpack: ${(error as Error).message}`)
      }
    default:
      return new BadValue(`has an unknown kind ${kind}`)
  }
}
