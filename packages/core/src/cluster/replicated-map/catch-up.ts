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
 * 2. `versions(nodes, writers, lists)`: per range, `[keyHash, wall, counter, writer index]` of each entry the sender
 *    holds there. The receiver sends its entries that are newer or unknown to the sender (`delta`), and asks for the
 *    keys the sender has newer or alone (`want`).
 * 3. `want(nodes, keyHashes)`: the receiver sends those entries (`delta`).
 *
 * Bytes moved: about 16 bytes per differing range per level of the tree, 17 per entry of a differing leaf range, and
 * the differing entries themselves; matching ranges cost nothing below their parent.
 */
import { Buffer } from 'node:buffer'
import { compareVersions } from './hlc.ts'
import { firstChild, isLeafNode, isTreeNode } from './range-digest.ts'
import type { RangeDigest } from './range-digest.ts'
import type { Entry, ReplicaStore } from './replica-store.ts'

/** A range with at most this many entries on the receiver's side is settled by versions, not by descending. */
export const SMALL_RANGE = 2

/** The hashes of the children of `parents`, four per parent, as little-endian 32-bit words. */
export function childHashes(digest: RangeDigest, parents: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(parents.length * 16)
  let at = 0
  for (const parent of parents) {
    const child = firstChild(parent)
    for (let i = 0; i < 4; i++) at = out.writeUInt32LE(digest.hash(child + i), at)
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

/** Checks a `ranges` step from a peer; returns what is wrong with it, or undefined. */
export function rangesProblem(parents: unknown, hashes: unknown): string | undefined {
  if (!Array.isArray(parents) || !parents.every((p) => isTreeNode(p) && !isLeafNode(p))) return 'parents must be inner range numbers'
  if (!(hashes instanceof Uint8Array) || hashes.length !== parents.length * 16) return 'hashes must be 16 bytes per parent'
  return undefined
}

/** Compares a peer's hashes of the children of `parents` with this replica's. */
export function compareRanges(store: ReplicaStore<unknown>, parents: readonly number[], hashes: Uint8Array): RangesAnswer {
  const view = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength)
  const descend: number[] = []
  const settle: number[] = []
  let at = 0
  for (const parent of parents) {
    const child = firstChild(parent)
    for (let i = 0; i < 4; i++, at += 4) {
      const node = child + i
      if (view.readUInt32LE(at) === store.digest.hash(node)) continue
      if (isLeafNode(node) || store.digest.count(node) <= SMALL_RANGE) settle.push(node)
      else descend.push(node)
    }
  }
  return { descend, settle }
}

/** A `versions` step: per range, flat `[keyHash, wall, counter, writer index, …]`. */
export interface VersionsStep {
  readonly nodes: number[]
  readonly writers: string[]
  readonly lists: number[][]
}

/** The versions of this replica's entries in `nodes`. */
export function versionsOf(store: ReplicaStore<unknown>, nodes: readonly number[]): VersionsStep {
  const writers: string[] = []
  const writerIndex = new Map<string, number>()
  const lists: number[][] = []
  for (const node of nodes) {
    const list: number[] = []
    for (const e of store.entriesUnder(node)) {
      let w = writerIndex.get(e.node)
      if (w === undefined) {
        w = writers.length
        writers.push(e.node)
        writerIndex.set(e.node, w)
      }
      list.push(e.keyHash, e.wall, e.counter, w)
    }
    lists.push(list)
  }
  return { nodes: [...nodes], writers, lists }
}

/** Checks a `versions` step from a peer; returns what is wrong with it, or undefined. */
export function versionsProblem(nodes: unknown, writers: unknown, lists: unknown): string | undefined {
  if (!Array.isArray(nodes) || !nodes.every(isTreeNode)) return 'nodes must be range numbers'
  if (!Array.isArray(writers) || !writers.every((w) => typeof w === 'string')) return 'writers must be strings'
  if (!Array.isArray(lists) || lists.length !== nodes.length) return 'lists must have one list per node'
  for (const list of lists as unknown[]) {
    if (!Array.isArray(list) || list.length % 4 !== 0) return 'each list must hold four numbers per entry'
    for (let i = 0; i < list.length; i += 4) {
      if (!Number.isInteger(list[i]) || !Number.isSafeInteger(list[i + 1]) || !Number.isSafeInteger(list[i + 2])) return 'bad version numbers'
      if (!Number.isInteger(list[i + 3]) || (list[i + 3] as number) < 0 || (list[i + 3] as number) >= writers.length) return 'bad writer index'
    }
  }
  return undefined
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

/** Checks a `want` step from a peer; returns what is wrong with it, or undefined. */
export function wantProblem(nodes: unknown, keys: unknown): string | undefined {
  if (!Array.isArray(nodes) || !nodes.every(isTreeNode)) return 'nodes must be range numbers'
  if (!Array.isArray(keys) || keys.length !== nodes.length) return 'keys must have one list per node'
  if (!keys.every((k) => Array.isArray(k) && k.every((h) => Number.isInteger(h)))) return 'keys must be lists of key hashes'
  return undefined
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
