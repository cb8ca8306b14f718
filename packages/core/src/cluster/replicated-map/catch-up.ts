/**
 * Catch-up by digests: how two replicas of a map find and exchange only what differs, after a start, a restart or a
 * partition, without either sending its whole data set. Each step is a message that answers the previous one; no
 * side keeps state about a catch-up in progress, so a lost step (a connection that drops) costs nothing but a retry
 * at the next nodeup or periodic catch-up.
 *
 * 1. `ranges(parents, hashes)`: the sender's hashes of the four children of each parent node of the RangeDigest.
 *    The first step sends the root's children. The receiver skips equal children; for a differing child it answers
 *    with the hashes of that child's children (a `ranges` back), or, once the child is a leaf range or holds at most
 *    `SMALL_RANGE` entries on the receiver's side, with the versions of its entries there (`versions`).
 * 2. `versions(nodes, writers, base, counts, records)`: per range, key hash and version of each entry the sender
 *    holds there. The receiver sends its entries that are newer or unknown to the sender (`delta`), and asks for the
 *    keys the sender has newer or alone (`want`).
 * 3. `want(nodes, counts, hashes)`: the key hashes asked for, per range; the receiver sends those entries (`delta`).
 *
 * Bytes moved: about 14 bytes per differing range per level of the tree (four 24-bit hashes and its number), 7 to 10 per entry of a differing leaf
 * range, and the differing entries themselves; matching ranges cost nothing below their parent. Range numbers go as
 * ascending differences (encodeRangeNumbers).
 */
import { Buffer } from 'node:buffer'
import { compareVersions } from './hlc.ts'
import { firstChild, isLeafNode, isTreeNode, leavesUnder } from './range-digest.ts'
import type { RangeDigest } from './range-digest.ts'
import type { Entry } from './entry.ts'
import type { ReplicaStore } from './replica-store.ts'

/** A range with at most this many entries on the receiver's side is settled by versions, not by descending. */
export const SMALL_RANGE = 2

/**
 * Bytes of a range's hash on the wire: 24 of the digest's 32 bits, so the hashes, most of the bytes of a catch-up's
 * search, cost a quarter less. A differing range then passes for equal with a chance of 2^-24 per comparison (a few
 * hundred differing ranges in a catch-up: about 1 in 50,000 catch-ups leaves one key behind). Which 24 alternates
 * from one catch-up round to the next (`RangeHashShift`), so a pair of ranges whose low bits match by chance is
 * told apart by the next periodic catch-up instead of staying apart until a key in it changes again.
 */
export const RANGE_HASH_BYTES = 3
const RANGE_HASH_MASK = 0xffffff

/**
 * Which 24 bits of a range's hash a `ranges` step carries: the low ones (0, what a step without `shift` means, as
 * from a peer of an earlier version) or the high ones (8). A round's first step chooses, and each answer says the
 * shift it compared with and hashed by, so both sides of a round use one.
 */
export type RangeHashShift = 0 | 8

/** The shift a round uses: every other round (by its number) compares the high bits. */
export function roundHashShift(round: number): RangeHashShift {
  return round % 2 === 0 ? 8 : 0
}

/** A step's `shift` field as a RangeHashShift; undefined when it is neither absent, 0 nor 8. */
export function decodeRangeHashShift(shift: unknown): RangeHashShift | undefined {
  if (shift === undefined || shift === 0) return 0
  return shift === 8 ? 8 : undefined
}

/** The hashes of the children of `parents`, four per parent: the 24 bits from `shift` of each, little-endian. */
export function childHashes(digest: RangeDigest, parents: readonly number[], shift: RangeHashShift = 0): Buffer {
  const out = Buffer.allocUnsafe(parents.length * 4 * RANGE_HASH_BYTES)
  let at = 0
  for (const parent of parents) {
    const child = firstChild(parent)
    for (let i = 0; i < 4; i++) at = out.writeUIntLE((digest.hash(child + i) >>> shift) & RANGE_HASH_MASK, at, RANGE_HASH_BYTES)
  }
  return out
}

/** What a replica answers to a `ranges` step. */
export interface RangesAnswer {
  /** Differing ranges to descend into, with this replica's hashes of their children. */
  readonly descend: number[]
  /** Differing ranges settled by versions. */
  readonly settle: number[]
}

/**
 * Range numbers on the wire: ascending, each as its difference from the one before, so that most take one byte of
 * msgpack instead of three to five.
 */
export function encodeRangeNumbers(nodes: readonly number[]): number[] {
  const out: number[] = []
  let last = 0
  for (const n of nodes) {
    out.push(n - last)
    last = n
  }
  return out
}

/** Decodes `encodeRangeNumbers`; undefined when they are not ascending valid range numbers. */
export function decodeRangeNumbers(deltas: unknown): number[] | undefined {
  if (!Array.isArray(deltas)) return undefined
  const out: number[] = []
  let last = 0
  for (const d of deltas as unknown[]) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || (out.length > 0 && d === 0)) return undefined
    last += d
    if (!isTreeNode(last)) return undefined
    out.push(last)
  }
  return out
}

/** Checks a `ranges` step from a peer (parents decoded); returns what is wrong with it, or undefined. */
export function rangesProblem(parents: readonly number[] | undefined, hashes: unknown): string | undefined {
  if (parents === undefined || !parents.every((p) => !isLeafNode(p))) return 'parents must be ascending inner range numbers'
  if (!(hashes instanceof Uint8Array) || hashes.length !== parents.length * 4 * RANGE_HASH_BYTES) return `hashes must be ${4 * RANGE_HASH_BYTES} bytes per parent`
  return undefined
}

/** Compares a peer's hashes of the children of `parents` (their bits from `shift`) with this replica's. */
export function compareRanges(store: Pick<ReplicaStore<unknown>, 'digest'>, parents: readonly number[], hashes: Uint8Array, shift: RangeHashShift = 0): RangesAnswer {
  const view = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength)
  const descend: number[] = []
  const settle: number[] = []
  let at = 0
  for (const parent of parents) {
    const child = firstChild(parent)
    for (let i = 0; i < 4; i++, at += RANGE_HASH_BYTES) {
      const node = child + i
      if (view.readUIntLE(at, RANGE_HASH_BYTES) === ((store.digest.hash(node) >>> shift) & RANGE_HASH_MASK)) continue
      if (isLeafNode(node) || store.digest.count(node) <= SMALL_RANGE) settle.push(node)
      else descend.push(node)
    }
  }
  return { descend, settle }
}

/**
 * A `versions` step, decoded: per range, flat `[keyHash, wall, counter, writer index, …]`. On the wire each list is
 * one Buffer of records: the key hash (4 bytes; 2 in a leaf range), then as LEB128 varints the wall time less the step's `base` (the
 * smallest wall in it), the counter and the writer index: 5 to 8 bytes per entry where msgpack numbers took 17. In a
 * leaf range the key hash takes 2 bytes, its low 16 bits: the leaf is picked by the top 16, so the range says them.
 */
export interface VersionsStep {
  readonly nodes: number[]
  readonly writers: string[]
  readonly lists: number[][]
}

/** A `versions` step as it crosses the wire: one buffer of records for all its ranges, `counts[i]` of them for the i-th. */
export interface WireVersions {
  readonly nodes: number[]
  readonly writers: string[]
  readonly base: number
  readonly counts: number[]
  readonly records: Uint8Array
}

/** The versions of this replica's entries in `nodes`, ready to send. */
export function versionsOf(store: ReplicaStore<unknown>, nodes: readonly number[]): WireVersions {
  const writers: string[] = []
  const writerIndex = new Map<string, number>()
  let base = Infinity
  for (const node of nodes) for (const e of store.entriesUnder(node)) if (e.wall < base) base = e.wall
  if (base === Infinity) base = 0
  const counts: number[] = []
  const bytes: number[] = []
  for (const node of nodes) {
    let count = 0
    const leaf = isLeafNode(node)
    for (const e of store.entriesUnder(node)) {
      let w = writerIndex.get(e.node)
      if (w === undefined) {
        w = writers.length
        writers.push(e.node)
        writerIndex.set(e.node, w)
      }
      if (!leaf) bytes.push(e.keyHash >>> 24, (e.keyHash >>> 16) & 0xff)
      bytes.push((e.keyHash >>> 8) & 0xff, e.keyHash & 0xff)
      writeVarint(bytes, e.wall - base)
      writeVarint(bytes, e.counter)
      writeVarint(bytes, w)
      count++
    }
    counts.push(count)
  }
  return { nodes: encodeRangeNumbers(nodes), writers, base, counts, records: Buffer.from(bytes) }
}

function writeVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
}

/** Decodes a peer's `versions` step; returns what is wrong with it as a string. */
export function decodeVersions(msg: { nodes?: unknown; writers?: unknown; base?: unknown; counts?: unknown; records?: unknown }): VersionsStep | string {
  const nodes = decodeRangeNumbers(msg.nodes)
  if (nodes === undefined) return 'nodes must be ascending range numbers'
  const writers = msg.writers
  if (!Array.isArray(writers) || !writers.every((w) => typeof w === 'string' && w.length > 0)) return 'writers must be node names'
  if (!Number.isSafeInteger(msg.base) || (msg.base as number) < 0) return 'base must be a non-negative integer'
  const base = msg.base as number
  const counts = msg.counts
  if (!Array.isArray(counts) || counts.length !== nodes.length || !counts.every((c) => Number.isInteger(c) && c >= 0)) return 'counts must be one count per node'
  const bytes = msg.records
  if (!(bytes instanceof Uint8Array)) return 'records must be bytes'
  let at = 0
  const varint = (): number | undefined => {
    let n = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      if (at >= bytes.length) return undefined
      const b = bytes[at++]!
      n += (b & 0x7f) * scale
      if (b < 0x80) return n
      scale *= 0x80
    }
    return undefined
  }
  const lists: number[][] = []
  for (let n = 0; n < nodes.length; n++) {
    const count = (counts as number[])[n]!
    const high = leafHashHigh(nodes[n]!)
    const size = high === undefined ? 4 : 2
    const list: number[] = []
    for (let r = 0; r < count; r++) {
      if (at + size > bytes.length) return 'a truncated version record'
      const keyHash =
        high === undefined
          ? ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0
          : (high | (bytes[at]! << 8) | bytes[at + 1]!) >>> 0
      at += size
      const wall = varint()
      const counter = varint()
      const writer = varint()
      if (wall === undefined || counter === undefined || writer === undefined || writer >= writers.length) return 'a malformed version record'
      list.push(keyHash, base + wall, counter, writer)
    }
    lists.push(list)
  }
  if (at !== bytes.length) return 'records longer than the counts say'
  return { nodes, writers: writers as string[], lists }
}

/**
 * The top 16 bits of every key hash in leaf range `node` (its leaf index: the leaf is picked by them), or undefined
 * for an inner range. Within a leaf, key hashes go as their low 16 bits only: the range says the rest.
 */
function leafHashHigh(node: number): number | undefined {
  return isLeafNode(node) ? leavesUnder(node)[0] * 0x10000 : undefined
}

/** What a replica does with a peer's versions: entries to send it, and key hashes to ask it for, per range. */
export interface VersionsAnswer {
  readonly push: Entry[]
  readonly wantNodes: number[]
  readonly wantKeys: number[][]
}

/** Compares a peer's versions of some ranges with this replica's entries there. */
export function compareVersionLists(store: ReplicaStore<unknown>, step: VersionsStep): VersionsAnswer {
  const push: Entry[] = []
  const wantNodes: number[] = []
  const wantKeys: number[][] = []
  for (let n = 0; n < step.nodes.length; n++) {
    const list = step.lists[n]!
    // Theirs by key hash; a hash two of their keys share (rare) is left out, so both are sent and asked for.
    const theirs = new Map<number, number>()
    const shared = new Set<number>()
    for (let i = 0; i < list.length; i += 4) {
      if (theirs.has(list[i]!)) shared.add(list[i]!)
      theirs.set(list[i]!, i)
    }
    const want: number[] = []
    const seen = new Set<number>()
    for (const e of store.entriesUnder(step.nodes[n]!)) {
      const i = shared.has(e.keyHash) ? undefined : theirs.get(e.keyHash)
      if (i === undefined || seen.has(e.keyHash)) {
        push.push(e)
        continue
      }
      seen.add(e.keyHash)
      const order = compareVersions(e.wall, e.counter, e.node, list[i + 1]!, list[i + 2]!, step.writers[list[i + 3]!]!)
      if (order > 0) push.push(e)
      else if (order < 0) want.push(e.keyHash)
    }
    for (let i = 0; i < list.length; i += 4) if (!seen.has(list[i]!) || shared.has(list[i]!)) want.push(list[i]!)
    if (want.length > 0) {
      wantNodes.push(step.nodes[n]!)
      wantKeys.push(want)
    }
  }
  return { push, wantNodes, wantKeys }
}

/**
 * A `want` step as it crosses the wire: the key hashes asked for, `counts[i]` of them in the i-th range, 2 bytes each
 * in a leaf range (the low bits; the range says the rest), 4 in an inner one.
 */
export interface WireWant {
  readonly nodes: number[]
  readonly counts: number[]
  readonly hashes: Uint8Array
}

/** Encodes the key hashes to ask a peer for, per range. */
export function encodeWant(nodes: readonly number[], keys: readonly number[][]): WireWant {
  const hashes = Buffer.allocUnsafe(keys.reduce((n, k, i) => n + k.length * (isLeafNode(nodes[i]!) ? 2 : 4), 0))
  let at = 0
  for (let i = 0; i < keys.length; i++) {
    const leaf = isLeafNode(nodes[i]!)
    for (const h of keys[i]!) at = leaf ? hashes.writeUInt16LE(h & 0xffff, at) : hashes.writeUInt32LE(h >>> 0, at)
  }
  return { nodes: encodeRangeNumbers(nodes), counts: keys.map((k) => k.length), hashes }
}

/** Decodes a peer's `want` step; returns what is wrong with it as a string. */
export function decodeWant(msg: { nodes?: unknown; counts?: unknown; hashes?: unknown }): { nodes: number[]; keys: number[][] } | string {
  const nodes = decodeRangeNumbers(msg.nodes)
  if (nodes === undefined) return 'nodes must be ascending range numbers'
  const counts = msg.counts
  if (!Array.isArray(counts) || counts.length !== nodes.length || !counts.every((c) => Number.isInteger(c) && c >= 0)) return 'counts must be one count per node'
  const hashes = msg.hashes
  const total = (counts as number[]).reduce((n, c, i) => n + c * (isLeafNode(nodes[i]!) ? 2 : 4), 0)
  if (!(hashes instanceof Uint8Array) || hashes.length !== total) return 'hashes must be 2 bytes per key in a leaf range, 4 in another'
  const view = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength)
  let at = 0
  const keys = (counts as number[]).map((c, i) => {
    const high = leafHashHigh(nodes[i]!)
    return Array.from({ length: c }, () => {
      if (high === undefined) {
        at += 4
        return view.readUInt32LE(at - 4)
      }
      at += 2
      return high + view.readUInt16LE(at - 2)
    })
  })
  return { nodes, keys }
}

/** This replica's entries a peer asked for. */
export function wantedEntries(store: ReplicaStore<unknown>, nodes: readonly number[], keys: readonly number[][]): Entry[] {
  const out: Entry[] = []
  for (let n = 0; n < nodes.length; n++) {
    const wanted = new Set(keys[n])
    for (const e of store.entriesUnder(nodes[n]!)) if (wanted.has(e.keyHash)) out.push(e)
  }
  return out
}
