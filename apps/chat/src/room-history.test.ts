import { createHash } from 'node:crypto'
import { seededRandom } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import type { ChatMessage } from './chat-protocol.ts'
import { messageId } from './message-id.ts'
import { RoomHistory } from './room-history.ts'

function msg(node: string, seq: number, at: number, text = `${node}${seq}`, ref?: string | number): ChatMessage {
  const m: ChatMessage = { type: 'message', room: 'r', user: 'u', text, at, id: messageId(node, 1, seq), node }
  return ref === undefined ? m : { ...m, ref }
}

/** What a message counts against maxChars: its text and a string ref. */
const charsOf = (m: ChatMessage): number => m.text.length + (typeof m.ref === 'string' ? m.ref.length : 0)

/** What every node must end with: the longest run of newest messages of `all` within both bounds. */
function newestThatFit(all: readonly ChatMessage[], limit: number, maxChars: number): string[] {
  const ordered = new RoomHistory(Number.POSITIVE_INFINITY)
  ordered.merge(all)
  const kept: ChatMessage[] = []
  let chars = 0
  for (const m of ordered.messages().reverse()) {
    if (kept.length === limit || chars + charsOf(m) > maxChars) break
    kept.unshift(m)
    chars += charsOf(m)
  }
  return kept.map((m) => m.id)
}

describe('RoomHistory', () => {
  it('keeps the newest messages in the order every node computes, whatever the arrival order', () => {
    const all = [msg('a', 1, 10), msg('b', 1, 10), msg('a', 2, 11), msg('c', 9, 5), msg('a', 10, 11)]
    const forward = new RoomHistory(4)
    const backward = new RoomHistory(4)
    forward.merge(all)
    backward.merge([...all].reverse())
    expect(forward.messages().map((m) => m.text)).toEqual(['a1', 'b1', 'a2', 'a10'])
    expect(backward.messages()).toEqual(forward.messages())
    expect(backward.digest()).toBe(forward.digest())
  })

  it('orders a sender with equal times by sequence number, not by the id as text', () => {
    const h = new RoomHistory(100)
    h.merge([msg('a', 10, 1), msg('a', 9, 1)])
    expect(h.messages().map((m) => m.text)).toEqual(['a9', 'a10'])
  })

  it('ignores a message it holds already and one older than a full history', () => {
    const h = new RoomHistory(2)
    expect(h.add(msg('a', 2, 20))).toBe(true)
    expect(h.add(msg('a', 2, 20))).toBe(false)
    expect(h.add(msg('a', 3, 30))).toBe(true)
    expect(h.add(msg('a', 1, 10))).toBe(false)
    expect(h.size).toBe(2)
  })

  it('converges two nodes that each missed messages, in either merge direction', () => {
    const a = new RoomHistory(3)
    const b = new RoomHistory(3)
    a.merge([msg('a', 1, 1), msg('a', 2, 2), msg('a', 3, 5)])
    b.merge([msg('b', 1, 3), msg('a', 1, 1)])
    expect(a.digest()).not.toBe(b.digest())
    b.merge(a.messages())
    a.merge(b.messages())
    expect(a.messages()).toEqual(b.messages())
    expect(a.messages().map((m) => m.text)).toEqual(['a2', 'b1', 'a3'])
  })

  it('keeps at most maxChars characters of text: the newest that fit, and never an older one after', () => {
    const h = new RoomHistory(100, 10)
    expect(h.add(msg('a', 1, 1, 'aaaa'))).toBe(true)
    expect(h.add(msg('a', 2, 2, 'bbbb'))).toBe(true)
    // Six more characters do not fit beside eight: the oldest leaves.
    expect(h.add(msg('a', 3, 3, 'cccccc'))).toBe(true)
    expect(h.messages().map((m) => m.text)).toEqual(['bbbb', 'cccccc'])
    expect(h.chars).toBe(10)
    // Older than a message that was left out: it would not be among the newest that fit, however small.
    expect(h.add(msg('z', 1, 0, 'z'))).toBe(false)
    // Between the left-out message and the oldest kept, and too large to fit: it and everything older go.
    expect(h.add(msg('b', 1, 2, 'xxxxxxxxxx'))).toBe(false)
    expect(h.messages().map((m) => m.text)).toEqual(['cccccc'])
    expect(h.chars).toBe(6)
  })

  it('counts a string ref against maxChars with its text, so refs cannot grow a history past its bound', () => {
    const h = new RoomHistory(100, 10)
    expect(h.add(msg('a', 1, 1, 'aa', 'r1'))).toBe(true)
    expect(h.add(msg('a', 2, 2, 'bb', 7))).toBe(true)
    expect(h.chars).toBe(6)
    // Two characters of text and four of ref do not fit beside six: the oldest leaves.
    expect(h.add(msg('a', 3, 3, 'cc', 'page'))).toBe(true)
    expect(h.messages().map((m) => m.ref)).toEqual([7, 'page'])
    expect(h.chars).toBe(8)
  })

  it('digests the ids joined by newlines, as nodes of earlier versions do, and answers has() for any value', () => {
    const h = new RoomHistory(100)
    h.merge([msg('a', 1, 1), msg('b', 2, 1), msg('é中', 3, 2)])
    expect(h.digest()).toBe(createHash('sha1').update(h.ids().join('\n')).digest('base64url'))
    expect(h.has(messageId('é中', 1, 3))).toBe(true)
    expect(h.has(messageId('é中', 1, 4))).toBe(false)
    expect(h.has(42 as unknown as string)).toBe(false)
  })

  it('ends every node with the newest messages that fit, whatever the arrival order and the merges (200 seeded cases)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = seededRandom(seed)
      const limit = 1 + Math.floor(next() * 8)
      const maxChars = 4 + Math.floor(next() * 40)
      const all = Array.from({ length: 5 + Math.floor(next() * 20) }, (_, i) =>
        msg(next() < 0.5 ? 'a' : 'b', i, Math.floor(next() * 10), 'x'.repeat(1 + Math.floor(next() * 12)), next() < 0.3 ? 'r'.repeat(1 + Math.floor(next() * 6)) : next() < 0.2 ? i : undefined),
      )
      const want = newestThatFit(all, limit, maxChars)
      const nodes = [0, 1, 2].map(() => new RoomHistory(limit, maxChars))
      // Each node hears a random part of the messages in a random order, then they merge with each other at random.
      for (const node of nodes) {
        const heard = all.filter(() => next() < 0.7).sort(() => next() - 0.5)
        for (const m of heard) node.add(m)
      }
      for (let round = 0; round < 6; round++) {
        const from = nodes[Math.floor(next() * 3)]!
        const to = nodes[Math.floor(next() * 3)]!
        to.merge(from.messages())
      }
      // Finally every node hears every message (the live copies arriving late, or a catch-up).
      for (const node of nodes) node.merge([...all].sort(() => next() - 0.5))
      for (const node of nodes) {
        expect(node.ids(), `seed ${seed}`).toEqual(want)
        expect(node.digest(), `seed ${seed}`).toBe(nodes[0]!.digest())
      }
    }
  })
})
