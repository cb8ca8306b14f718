/**
 * RoomHistory: the last messages of one room, as every node keeps them. Messages are ordered by a key every node
 * computes alike (the time stamped by the sender's node, then node, incarnation and sequence, the last three read
 * from the id), duplicates are ignored, and only the newest are kept: at most `limit` messages and at most `maxChars`
 * characters of text (a message's text and its `ref`), so that a room's history takes a bounded amount of memory
 * whatever its messages' sizes (every node keeps every room's). What is kept is the longest run of newest messages
 * within both bounds, and the newest message left out (the floor) bars any older one from coming back: merging is
 * therefore "the newest that fit, of the union", commutative, associative and idempotent, so nodes that received the
 * same messages in any order, directly or through a catch-up, hold the same history, and the digest says whether two
 * nodes agree.
 *
 * A history holds its messages as bytes (history-records.ts), not as the objects it was given: every node keeps
 * every room's last 100 messages, each lives for as long as its room takes to say 100 more, and as objects (the
 * message, its five strings, an entry) each one was copied by the garbage collector's young generation before it
 * was promoted. That copying made a busy chat node's young-generation pauses about three times as long, and such
 * pauses are much of the tail of its delivery latency. `messages()` makes the objects again when a history is read
 * (a join, a catch-up).
 *
 * It lives outside the room actor (the node's history book owns it), so a crashed and restarted room actor keeps its
 * node's history; replication to other nodes is the room actor's job.
 */
import { createHash } from 'node:crypto'
import type { ChatMessage } from './chat-protocol.ts'
import { HistoryRecords } from './history-records.ts'
import { partsOfMessageId } from './message-id.ts'

/** What orders messages: the stamp, then the id's node, incarnation and sequence. Equal keys are the same message. */
interface OrderKey {
  at: number
  node: string
  incarnation: number
  seq: number
}

/** One room's bounded, ordered, duplicate-free history. */
export class RoomHistory {
  readonly limit: number
  /** Characters of text and refs (UTF-16 code units, what a string's memory grows with) kept at most. */
  readonly maxChars: number
  readonly #records = new HistoryRecords()
  #chars = 0
  /** The newest message left out to keep within the bounds: nothing at or before it is kept. */
  #floor: OrderKey | undefined = undefined
  #digest: string | undefined

  constructor(limit: number, maxChars = Number.POSITIVE_INFINITY) {
    this.limit = limit
    this.maxChars = maxChars
  }

  /** Adds a message; returns false if it was known already or does not fit among the newest (see the bounds). */
  add(message: ChatMessage): boolean {
    const key = keyOf(message)
    const floor = this.#floor
    if (floor !== undefined && compareWithKey(floor.at, floor.node, floor.incarnation, floor.seq, key) >= 0) return false
    const records = this.#records
    // Messages nearly always arrive newest last, so the search starts from the end.
    let i = records.size
    let order = 1
    while (i > 0) {
      order = compareWithKey(records.at(i - 1), records.idNode(i - 1), records.incarnation(i - 1), records.seq(i - 1), key)
      if (order <= 0) break
      i--
    }
    if (i > 0 && order === 0) return false
    const chars = charsOf(message)
    records.insert(i, message, key.node, key.incarnation, key.seq, chars)
    this.#chars += chars
    // The oldest leave until both bounds hold; the new message itself may be one that does not fit, and then so do
    // the older ones it pushed out.
    let newLeft = false
    while (records.size > this.limit || (this.#chars > this.maxChars && records.size > 0)) {
      this.#floor = { at: records.at(0), node: records.idNode(0), incarnation: records.incarnation(0), seq: records.seq(0) }
      newLeft = i === 0
      i--
      this.#chars -= records.chars(0)
      records.removeOldest()
    }
    this.#digest = undefined
    return !newLeft
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

  /** The messages, oldest first: new objects, made from the bytes held. */
  messages(): ChatMessage[] {
    const out = new Array<ChatMessage>(this.#records.size)
    for (let i = 0; i < out.length; i++) out[i] = this.#records.message(i)
    return out
  }

  /** The ids held, oldest first. */
  ids(): string[] {
    const out = new Array<string>(this.#records.size)
    for (let i = 0; i < out.length; i++) out[i] = this.#records.id(i)
    return out
  }

  /** Whether the message `id` is held (anything but a string is not). */
  has(id: string): boolean {
    if (typeof id !== 'string') return false
    const { node, incarnation, seq } = partsOfMessageId(id)
    const records = this.#records
    for (let i = records.size - 1; i >= 0; i--) {
      if (records.seq(i) === seq && records.incarnation(i) === incarnation && records.idNode(i) === node) return true
    }
    return false
  }

  get size(): number {
    return this.#records.size
  }

  /** A short hash of the ids in order: two histories with the same digest hold the same messages. */
  digest(): string {
    if (this.#digest === undefined) {
      // The hash of the ids joined by newlines, fed one at a time so that no joined string is built.
      const hash = createHash('sha1')
      for (let i = 0; i < this.#records.size; i++) {
        if (i > 0) hash.update('\n')
        hash.update(this.#records.id(i))
      }
      this.#digest = hash.digest('base64url')
    }
    return this.#digest
  }
}

function keyOf(message: ChatMessage): OrderKey {
  const { node, incarnation, seq } = partsOfMessageId(message.id)
  return { at: message.at, node, incarnation, seq }
}

/** The order of the message with these parts against `key`: negative if it goes first, 0 if it is the same message. */
function compareWithKey(at: number, node: string, incarnation: number, seq: number, key: OrderKey): number {
  if (at !== key.at) return at - key.at
  if (node !== key.node) return node < key.node ? -1 : 1
  if (incarnation !== key.incarnation) return incarnation - key.incarnation
  return seq - key.seq
}

/** What a message counts against `maxChars`: its text, and its `ref` (up to 64 characters a client chooses). */
function charsOf(message: ChatMessage): number {
  return typeof message.ref === 'string' ? message.text.length + message.ref.length : message.text.length
}
