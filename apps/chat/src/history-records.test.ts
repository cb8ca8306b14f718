import { seededRandom } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import type { ChatMessage } from './chat-protocol.ts'
import { HistoryRecords } from './history-records.ts'

function msg(seq: number, text: string, extra: Partial<ChatMessage> = {}): ChatMessage {
  return { type: 'message', room: 'lobby', user: 'ada', text, at: 1_700_000_000_000 + seq, id: `n1@host~7~${seq}`, node: 'n1@host', ...extra }
}

function push(records: HistoryRecords, m: ChatMessage): void {
  records.insert(records.size, m, m.node, 7, Number(m.id.split('~')[2] ?? 0), m.text.length)
}

describe('HistoryRecords', () => {
  it('gives back every message exactly, whatever its characters and its ref', () => {
    const records = new HistoryRecords()
    const messages = [
      msg(1, 'plain ASCII'),
      msg(2, 'Latin-1: café, naïve, ÿ', { ref: 'ref-é' }),
      msg(3, '中文 and Ελληνικά', { user: 'José 李', ref: 42 }),
      msg(4, 'emoji 👋🏽 and a lone surrogate \ud800 here \udfff', { ref: -0.5 }),
      msg(5, '', { room: 'ü', node: 'n1@host' }),
      msg(6, 'x'.repeat(4096), { ref: 'r'.repeat(64) }),
      // An id messageId would not make from its parts is kept as it came.
      msg(7, 'padded', { id: 'n1@host~7~007' }),
      msg(8, 'odd', { id: 'no-separators' }),
    ]
    for (const m of messages) push(records, m)
    expect(Array.from({ length: records.size }, (_, i) => records.message(i))).toEqual(messages)
    expect(Array.from({ length: records.size }, (_, i) => records.id(i))).toEqual(messages.map((m) => m.id))
  })

  it('inserts in the middle and removes the oldest, keeping each record with its numbers', () => {
    const records = new HistoryRecords()
    push(records, msg(1, 'one'))
    push(records, msg(3, 'three'))
    records.insert(1, msg(2, 'two'), 'n1@host', 7, 2, 3)
    records.insert(0, msg(0, 'zero', { node: 'other' }), 'other', 1, 0, 4)
    expect([0, 1, 2, 3].map((i) => [records.message(i).text, records.idNode(i), records.incarnation(i), records.seq(i), records.chars(i)])).toEqual([
      ['zero', 'other', 1, 0, 4],
      ['one', 'n1@host', 7, 1, 3],
      ['two', 'n1@host', 7, 2, 3],
      ['three', 'n1@host', 7, 3, 5],
    ])
    records.removeOldest()
    records.removeOldest()
    expect(records.size).toBe(2)
    expect([records.message(0).text, records.message(1).text]).toEqual(['two', 'three'])
    expect(records.at(0)).toBe(msg(2, '').at)
  })

  it('compacts in place around a record inserted out of order, moving the lowest offset first', () => {
    const records = new HistoryRecords()
    push(records, msg(1, 'a'.repeat(100)))
    push(records, msg(3, 'c'.repeat(100)))
    // The late message's record lands after the newest's, so the rows' order is not the records' order.
    records.insert(1, msg(2, 'b'.repeat(300)), 'n1@host', 7, 2, 300)
    records.removeOldest()
    const arena = records.footprintBytes
    // Too large for the arena's end, small enough to compact in place (the records move down, over the gap).
    push(records, msg(4, 'd'.repeat(520)))
    expect(records.footprintBytes).toBe(arena)
    expect(Array.from({ length: records.size }, (_, i) => records.message(i).text)).toEqual(['b'.repeat(300), 'c'.repeat(100), 'd'.repeat(520)])
  })

  it('stays within about an eighth over what it holds while a room says 10,000 messages, compacting as it goes', () => {
    const records = new HistoryRecords()
    const next = seededRandom(7)
    const held: ChatMessage[] = []
    let largest = 0
    for (let seq = 1; seq <= 10_000; seq++) {
      // Sizes vary, so the arena fills unevenly; now and then a message arrives out of order, into the middle.
      const m = msg(seq, `${seq}:${'y'.repeat(Math.floor(next() * 600))}`)
      if (held.length > 2 && next() < 0.05) {
        records.insert(held.length - 1, m, m.node, 7, seq, m.text.length)
        held.splice(held.length - 1, 0, m)
      } else {
        push(records, m)
        held.push(m)
      }
      while (held.length > 100) {
        records.removeOldest()
        held.shift()
      }
      largest = Math.max(largest, records.footprintBytes)
      // Every record still where its row says, through the compactions so far (each moves runs of records at once).
      if (seq % 97 === 0) expect(Array.from({ length: records.size }, (_, i) => records.message(i).text)).toEqual(held.map((h) => h.text))
    }
    expect(Array.from({ length: records.size }, (_, i) => records.message(i))).toEqual(held)
    // 100 messages of up to 600 characters and about 50 bytes of other strings: at most about 65 KB held.
    const heldBytes = held.reduce((sum, m) => sum + m.text.length + 60, 0)
    expect(records.footprintBytes).toBeLessThan(heldBytes * 1.2 + 8192)
    expect(largest).toBeLessThan(100 * 660 * 1.2 + 8192)
  })

  it("holds the chat's largest history, texts of 4 KiB in two-byte characters, in the arena the README counts", () => {
    // RoomHistory's way: a message goes in, then the oldest leave until 32,768 characters hold. 2,048 two-byte
    // characters are 4 KiB of UTF-8, the longest text a client may say; 16 of them fill the bound.
    const records = new HistoryRecords()
    let chars = 0
    let largest = 0
    for (let seq = 1; seq <= 300; seq++) {
      const m = msg(seq, 'α'.repeat(2040) + String(seq).padStart(8, '0'))
      push(records, m)
      chars += m.text.length
      largest = Math.max(largest, records.footprintBytes)
      while (chars > 32_768) {
        chars -= records.chars(0)
        records.removeOldest()
      }
    }
    expect(records.size).toBe(16)
    // The README's 83 KB a room: this (80,173 bytes when measured), and 2.6 KB of heap (the names table and the objects themselves).
    expect(largest).toBeLessThan(80_500)
  })

  it('shrinks its arena after a room that held large messages says small ones', () => {
    const records = new HistoryRecords()
    for (let seq = 1; seq <= 100; seq++) push(records, msg(seq, 'z'.repeat(4000)))
    const large = records.footprintBytes
    for (let seq = 101; seq <= 400; seq++) {
      push(records, msg(seq, 'hi'))
      records.removeOldest()
    }
    expect(large).toBeGreaterThan(400_000)
    expect(records.footprintBytes).toBeLessThan(20_000)
    expect(records.message(99).text).toBe('hi')
  })

  it('reads back every name of a message that brings several new ones as the table is rebuilt', () => {
    const records = new HistoryRecords()
    for (let seq = 1; seq <= 2_000; seq++) {
      // Three new names each time (the id's node, the message's node, the user), so a rebuild of the table can fall
      // between two of them.
      const m = msg(seq, 't', { id: `id-node-${seq}~1~${seq}`, node: `node-${seq}`, user: `user-${seq}` })
      records.insert(records.size, m, `id-node-${seq}`, 1, seq, 1)
      if (records.size > 10) records.removeOldest()
      expect(records.message(records.size - 1)).toEqual(m)
      expect(records.idNode(0)).toBe(`id-node-${Math.max(1, seq - 9)}`)
    }
  })

  it('keeps its table of names to the names its messages use, however many ids name a node of their own', () => {
    const records = new HistoryRecords()
    for (let seq = 1; seq <= 5_000; seq++) {
      const m = msg(seq, 't', { id: `odd-${seq}`, node: `odd-${seq}` })
      records.insert(records.size, m, m.id, 0, 0, 1)
      if (records.size > 10) records.removeOldest()
      expect(records.namesHeld).toBeLessThanOrEqual(4 * 10 + 17)
    }
    expect(Array.from({ length: 10 }, (_, i) => records.idNode(i))).toEqual(Array.from({ length: 10 }, (_, i) => `odd-${4991 + i}`))
  })
})
