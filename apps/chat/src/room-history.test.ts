import { describe, expect, it } from 'vitest'
import type { ChatMessage } from './chat-protocol.ts'
import { messageId, RoomHistory } from './room-history.ts'

function msg(node: string, seq: number, at: number): ChatMessage {
  return { type: 'message', room: 'r', user: 'u', text: `${node}${seq}`, at, id: messageId(node, 1, seq), node }
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
})
