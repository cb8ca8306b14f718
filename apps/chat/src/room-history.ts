/**
 * RoomHistory: the last messages of one room, as every node keeps them. Messages are ordered by a key every node
 * computes alike (the time stamped by the sender's node, then node, incarnation and sequence), duplicates are ignored
 * by id, and only the newest are kept: at most `limit` messages and at most `maxChars` characters of text (a message's
 * text and its `ref`), so that a room's history takes a bounded amount of memory whatever its messages' sizes (every
 * node keeps every room's). What
 * is kept is the longest run of newest messages within both bounds, and the newest message left out (`#floor`) bars
 * any older one from coming back: merging is therefore "the newest that fit, of the union", commutative, associative
 * and idempotent, so nodes that received the same messages in any order, directly or through a catch-up, hold the
 * same history, and the digest says whether two nodes agree.
 *
 * It lives outside the room actor (the node's history book owns it), so a crashed and restarted room actor keeps its
 * node's history; replication to other nodes is the room actor's job.
 */
import { createHash } from 'node:crypto'
import type { ChatMessage } from './chat-protocol.ts'

interface Entry {
  readonly message: ChatMessage
  /** The id's parts, parsed only when two messages share a time (rare), then kept. */
  parts: { node: string; incarnation: number; seq: number } | undefined
}

/** One room's bounded, ordered, duplicate-free history. */
export class RoomHistory {
  readonly limit: number
  /** Characters of text and refs (UTF-16 code units, what a string's memory grows with) kept at most. */
  readonly maxChars: number
  /** Oldest first. */
  readonly #entries: Entry[] = []
  readonly #ids = new Set<string>()
  #chars = 0
  /** The newest message left out to keep within the bounds: nothing at or before it is kept. */
  #floor: Entry | undefined = undefined
  #digest: string | undefined

  constructor(limit: number, maxChars = Number.POSITIVE_INFINITY) {
    this.limit = limit
    this.maxChars = maxChars
  }

  /** Adds a message; returns false if it was known already or does not fit among the newest (see the bounds). */
  add(message: ChatMessage): boolean {
    if (this.#ids.has(message.id)) return false
    const entry: Entry = { message, parts: undefined }
    if (this.#floor !== undefined && compare(entry, this.#floor) <= 0) return false
    const entries = this.#entries
    // Messages nearly always arrive newest last, so the search starts from the end.
    let i = entries.length
    while (i > 0 && compare(entries[i - 1]!, entry) > 0) i--
    // push for the common case: splice allocates the array of removed entries on every call.
    if (i === entries.length) entries.push(entry)
    else entries.splice(i, 0, entry)
    this.#ids.add(message.id)
    this.#chars += charsOf(message)
    // The oldest leave until both bounds hold; the new message itself may be one that does not fit, and then so do
    // the older ones it pushed out.
    while (entries.length > this.limit || (this.#chars > this.maxChars && entries.length > 0)) {
      const oldest = entries.shift()!
      this.#ids.delete(oldest.message.id)
      this.#chars -= charsOf(oldest.message)
      this.#floor = oldest
    }
    this.#digest = undefined
    return this.#floor !== entry
  }

  /** Characters of text and refs held (what `maxChars` bounds). */
  get chars(): number {
    return this.#chars
  }

  /** Adds every message; returns how many were new. */
  merge(messages: readonly ChatMessage[]): number {
    let added = 0
    for (const m of messages) if (this.add(m)) added++
    return added
  }

  /** The messages, oldest first. */
  messages(): ChatMessage[] {
    return this.#entries.map((e) => e.message)
  }

  /** The ids held, oldest first. */
  ids(): string[] {
    return this.#entries.map((e) => e.message.id)
  }

  /** Whether the message `id` is held. */
  has(id: string): boolean {
    return this.#ids.has(id)
  }

  get size(): number {
    return this.#entries.length
  }

  /** A short hash of the ids in order: two histories with the same digest hold the same messages. */
  digest(): string {
    this.#digest ??= createHash('sha1')
      .update(this.#entries.map((e) => e.message.id).join('\n'))
      .digest('base64url')
    return this.#digest
  }
}

/** Builds a message id from its parts. */
export function messageId(node: string, incarnation: number, seq: number): string {
  return `${node}~${incarnation}~${seq}`
}

function partsOf(entry: Entry): { node: string; incarnation: number; seq: number } {
  if (entry.parts === undefined) {
    // From the end: a node name has no "~" (messageId), so the last two separators are the id's own. No split, no
    // array: this runs for most messages of a busy room, whose messages share their millisecond.
    const id = entry.message.id
    const last = id.lastIndexOf('~')
    const before = last > 0 ? id.lastIndexOf('~', last - 1) : -1
    entry.parts =
      before < 0
        ? { node: id, incarnation: 0, seq: 0 }
        : { node: id.slice(0, before), incarnation: Number(id.slice(before + 1, last)) || 0, seq: Number(id.slice(last + 1)) || 0 }
  }
  return entry.parts
}

function compare(a: Entry, b: Entry): number {
  if (a.message.at !== b.message.at) return a.message.at - b.message.at
  const pa = partsOf(a)
  const pb = partsOf(b)
  if (pa.node !== pb.node) return pa.node < pb.node ? -1 : 1
  if (pa.incarnation !== pb.incarnation) return pa.incarnation - pb.incarnation
  return pa.seq - pb.seq
}

/** What a message counts against `maxChars`: its text, and its `ref` (up to 64 characters a client chooses). */
function charsOf(message: ChatMessage): number {
  return typeof message.ref === 'string' ? message.text.length + message.ref.length : message.text.length
}
