/**
 * Snapshots in parts: what a cluster service sends a peer that discovers it (presence entries, group members) can
 * outgrow one message, and a message over the transport's `maxMessageBytes` (8 MiB by default) fails in the sending
 * actor, which then crashes and loses its table. `splitSnapshot` cuts the items into parts of about `partBytesOf`
 * (1 MiB, or a quarter of the transport's limit); the parts travel numbered from 0, each but the last marked `more`, and `SnapshotGathering` puts
 * them together on the receiver before anything is replaced, so no entry leaves and joins again between parts.
 */
import type { Pid } from '../pid.ts'
import { distributionMaxMessageBytes } from '../system/actor-system.ts'
import type { ActorSystem } from '../system/actor-system.ts'

/** The most bytes a part of a snapshot (or a replicated map's batch) is cut at. */
export const SNAPSHOT_PART_BYTES = 1024 * 1024

/**
 * The bytes at which `system`'s cluster services cut a message of many items: SNAPSHOT_PART_BYTES, or a quarter of
 * the distribution's `maxMessageBytes` when that is lower, so that an item near the cut still leaves room.
 */
export function partBytesOf(system: ActorSystem): number {
  const max = distributionMaxMessageBytes(system)
  return max === undefined ? SNAPSHOT_PART_BYTES : Math.max(256, Math.min(SNAPSHOT_PART_BYTES, Math.floor(max / 4)))
}

/** `items` in parts of at most `partBytes` by `sizeOf` (an item larger than that is a part of its own). */
export function splitSnapshot<T>(items: readonly T[], sizeOf: (item: T) => number, partBytes: number): T[][] {
  const parts: T[][] = [[]]
  let bytes = 0
  for (const item of items) {
    const size = sizeOf(item)
    if (bytes + size > partBytes && parts.at(-1)!.length > 0) {
      parts.push([])
      bytes = 0
    }
    parts.at(-1)!.push(item)
    bytes += size
  }
  return parts
}

/** The fields that number a part: none on a snapshot sent whole. */
export interface PartFields {
  part?: number
  more?: boolean
}

/** The numbering of part `i` of `count`. */
export function partFields(i: number, count: number): PartFields {
  if (count === 1) return {}
  return i < count - 1 ? { part: i, more: true } : { part: i }
}

/** True when a message's `part` and `more` are absent or well formed. */
export function partFieldsValid(msg: PartFields): boolean {
  return (msg.part === undefined || (Number.isSafeInteger(msg.part) && msg.part >= 0)) && (msg.more === undefined || typeof msg.more === 'boolean')
}

/** The parts of each peer's snapshot received so far, by the peer's node. */
export class SnapshotGathering<T> {
  readonly #byNode = new Map<string, { peer: Pid; items: T[] }>()

  /**
   * Takes the items of a `sync` from `peer`: returns the whole snapshot when this message completes it (at once for
   * one sent whole), or undefined while parts are still to come. A part 0, or a part from another incarnation of
   * the peer, starts over.
   */
  receive(peer: Pid, fields: PartFields, items: readonly T[]): readonly T[] | undefined {
    if (fields.part === undefined) {
      this.#byNode.delete(peer.node)
      return items
    }
    let held = this.#byNode.get(peer.node)
    if (fields.part === 0 || held === undefined || !held.peer.equals(peer)) {
      held = { peer, items: [] }
      this.#byNode.set(peer.node, held)
    }
    for (const item of items) held.items.push(item)
    if (fields.more === true) return undefined
    this.#byNode.delete(peer.node)
    return held.items
  }

  /** Forgets the parts from `node` (it went down, or sent something malformed). */
  drop(node: string): void {
    this.#byNode.delete(node)
  }
}
