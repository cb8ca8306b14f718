import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { TestClock } from '../../testing/test-clock.ts'
import { HybridLogicalClock } from './hlc.ts'
import { ReplicaStore } from './replica-store.ts'
import { BLOCK_BYTES, NO_BLOCK, PLACE_BUFFER, PLACE_BYTES, spareBlocks, ValueBlocks } from './value-blocks.ts'
import type { BlockHolder } from './value-blocks.ts'

function holder(): BlockHolder {
  return { value: undefined, block: NO_BLOCK, at: 0, length: 0, asBuffer: false, held: true }
}

/** A received frame with `value` somewhere in its middle, and the view of it a decoder hands over. */
function received(value: Uint8Array): Buffer {
  const frame = Buffer.alloc(value.length + 64, 0xee)
  frame.set(value, 32)
  return frame.subarray(32, 32 + value.length)
}

describe('ValueBlocks', () => {
  it('copies received values out of their frame into shared blocks, as Buffers or plain Uint8Arrays', () => {
    const blocks = new ValueBlocks()
    const a = holder()
    const b = holder()
    const view = received(Buffer.from('hello'))
    blocks.place(a, view, true)
    blocks.place(b, received(new Uint8Array([1, 2, 3])), false)
    expect(Buffer.isBuffer(blocks.read(a))).toBe(true)
    expect((blocks.read(a) as Buffer).toString()).toBe('hello')
    // Not the frame: writing into the frame afterwards leaves the stored value alone.
    view.fill(0)
    expect((blocks.read(a) as Buffer).toString()).toBe('hello')
    expect(Buffer.isBuffer(blocks.read(b))).toBe(false)
    expect(blocks.read(b)).toEqual(new Uint8Array([1, 2, 3]))
    // The two share one block.
    expect(a.block).toBe(b.block)
    // A read is a copy, not a view of the block: writing into it leaves the stored value alone.
    const read = blocks.read(a) as Buffer
    expect(read.buffer).not.toBe(blocks.memoryOf(a))
    read.fill(0)
    expect((blocks.read(a) as Buffer).toString()).toBe('hello')
  })

  it('copies a value from its range of a whole frame, as the decoder hands it over, at any length and offset', () => {
    const blocks = new ValueBlocks()
    const holders: BlockHolder[] = []
    const lengths = [1, 3, 4, 7, 100, 127, 128, 129, 300, BLOCK_BYTES / 2]
    // One frame for all, values one after the other at odd offsets, as in a batch.
    const frame = Buffer.alloc(lengths.reduce((sum, n) => sum + n + 3, 5), 0xee)
    let at = 5
    for (const [i, length] of lengths.entries()) {
      frame.fill(i + 1, at, at + length)
      const h = holder()
      blocks.place(h, frame, i % 2 === 0, at, at + length)
      holders.push(h)
      at += length + 3
    }
    frame.fill(0)
    blocks.releaseSource()
    for (const [i, length] of lengths.entries()) {
      const value = blocks.read(holders[i]!) as Uint8Array
      expect(Buffer.isBuffer(value)).toBe(i % 2 === 0)
      expect([...value]).toEqual(Array.from({ length }, () => i + 1))
    }
  })

  it('copies a value out of its block into a batch at any position (copyOut)', () => {
    const blocks = new ValueBlocks()
    for (const length of [1, 5, 100, 128, 129, 2000]) {
      const h = holder()
      blocks.place(h, received(Buffer.alloc(length, 9)), true)
      const target = Buffer.alloc(length + 10, 0xbb)
      blocks.copyOut(h, target, new DataView(target.buffer, target.byteOffset, target.length), 3)
      expect([...target.subarray(0, 3)]).toEqual([0xbb, 0xbb, 0xbb])
      expect([...target.subarray(3, 3 + length)]).toEqual(Array.from({ length }, () => 9))
      expect([...target.subarray(3 + length)]).toEqual(Array.from({ length: 7 }, () => 0xbb))
    }
  })

  it('gives a value larger than half a block memory of its own, and an empty one too', () => {
    const blocks = new ValueBlocks()
    const h = holder()
    blocks.place(h, received(Buffer.alloc(BLOCK_BYTES / 2 + 1, 7)), true)
    expect(h.block).toBe(NO_BLOCK)
    expect((blocks.read(h) as Buffer).buffer.byteLength).toBe(BLOCK_BYTES / 2 + 1)
    // Empty values would never fill a block: its list of holders would only grow.
    const empty = holder()
    const other = holder()
    blocks.place(other, received(Buffer.from('x')), true)
    for (let i = 0; i < 100; i++) {
      blocks.release(empty)
      blocks.place(empty, received(Buffer.alloc(0)), false)
    }
    expect(empty.block).toBe(NO_BLOCK)
    expect(blocks.read(empty)).toEqual(new Uint8Array(0))
    expect(blocks.state(other.block).holders).toHaveLength(1)
  })

  it('moves the last live values out of a block once most of it is dead, so the block can go', () => {
    const blocks = new ValueBlocks()
    const holders = Array.from({ length: 100 }, (_, i) => {
      const h = holder()
      blocks.place(h, received(Buffer.alloc(100, i)), true)
      return h
    })
    // 81 values of 100 bytes fill the first block; the rest went into a second one.
    const first = holders[0]!.block
    expect(holders.filter((h) => h.block === first)).toHaveLength(81)
    const keep = holders.slice(0, 81).filter((_, i) => i % 5 === 0)
    for (const [i, h] of holders.slice(0, 81).entries()) {
      if (i % 5 !== 0) blocks.release(h)
    }
    // Fewer than a quarter of the first block's bytes are live: its values moved, with their contents.
    expect(keep.every((h) => h.block !== first && h.block !== NO_BLOCK)).toBe(true)
    expect(keep.map((h) => (blocks.read(h) as Buffer)[0])).toEqual(keep.map((_, i) => i * 5))
    expect(blocks.state(first).holders).toEqual([])
  })

  it("opens new blocks in emptied blocks' memory, and gives back what is more than spareBlocks of it", () => {
    const blocks = new ValueBlocks()
    const hot = holder()
    const memories = new Set<ArrayBufferLike>()
    const reads: Buffer[] = []
    // One key overwritten 10,000 times: a block's worth of its versions, then the block is emptied (one live value).
    for (let i = 0; i < 10_000; i++) {
      blocks.release(hot)
      blocks.place(hot, received(Buffer.alloc(100, i & 0xff)), true)
      memories.add(blocks.memoryOf(hot))
      if (i % 1000 === 0) reads.push(blocks.read(hot) as Buffer)
    }
    // 123 blocks were filled, in the memory of two.
    expect(memories.size).toBe(2)
    expect(blocks.counts()).toEqual({ inUse: 1, spare: 1 })
    // What was read before its block was used again is still what it read.
    expect(reads.map((r) => r[0])).toEqual(Array.from({ length: 10 }, (_, k) => (k * 1000) & 0xff))
    // Many values, then most of them gone: emptied blocks keep their memory only up to spareBlocks(inUse).
    const many = Array.from({ length: 81 * 200 }, () => holder())
    for (const h of many) blocks.place(h, received(Buffer.alloc(100, 1)), true)
    expect(blocks.counts().inUse).toBe(201)
    for (const h of many.slice(0, 81 * 190)) blocks.release(h)
    const { inUse, spare } = blocks.counts()
    expect(inUse).toBeLessThanOrEqual(12)
    expect(spare).toBe(spareBlocks(inUse))
    expect(many.slice(81 * 190).every((h) => (blocks.read(h) as Buffer)[0] === 1)).toBe(true)
  })

  it('lists in a block opened again at an index only the holders placed since, and moves only their values', () => {
    const blocks = new ValueBlocks()
    const cold = holder()
    const hot = holder()
    blocks.place(cold, received(Buffer.alloc(100, 1)), true)
    const first = cold.block
    // Versions of one key fill the first block and the next; the first, mostly dead, moves `cold` out and is freed.
    let i = 0
    while (cold.block === first) {
      blocks.release(hot)
      blocks.place(hot, received(Buffer.alloc(100, ++i & 0xff)), true)
    }
    expect(blocks.state(first).holders).toEqual([])
    // Filled until its memory holds a block again, at the same index.
    while (hot.block !== first) {
      blocks.release(hot)
      blocks.place(hot, received(Buffer.alloc(100, ++i & 0xff)), true)
    }
    // The block it was moved to went the same way, so `cold` may be here again; nothing from the first block is.
    const reopened = blocks.state(first)
    expect(reopened.holders.every((h) => h === hot || h === cold)).toBe(true)
    expect(reopened.holders.length * 100).toBe(reopened.used)
    expect((blocks.read(cold) as Buffer)[0]).toBe(1)
    expect((blocks.read(hot) as Buffer)[0]).toBe(i & 0xff)
  })

  it('frees a full block that was mostly dead before it filled (a hot key overwritten while it was current)', () => {
    const blocks = new ValueBlocks()
    const cold = holder()
    blocks.place(cold, received(Buffer.alloc(100, 1)), true)
    const first = cold.block
    const hot = holder()
    for (let i = 0; i < 100; i++) {
      blocks.release(hot)
      blocks.place(hot, received(Buffer.alloc(100, 2)), true)
    }
    expect(cold.block).not.toBe(first)
    expect((blocks.read(cold) as Buffer)[0]).toBe(1)
  })
})

describe('ValueBlocks as a property', () => {
  it('keeps every value intact and holds at most four times the live bytes, plus the block being filled', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ who: fc.integer({ min: 0, max: 29 }), size: fc.oneof(fc.integer({ min: 0, max: 700 }), fc.constant(5000)), drop: fc.boolean() }), { maxLength: 600 }),
        (steps) => {
          const blocks = new ValueBlocks()
          const holders = Array.from({ length: 30 }, () => holder())
          const expected: (number | undefined)[] = Array.from({ length: 30 }, () => undefined)
          for (const [i, { who, size, drop }] of steps.entries()) {
            const h = holders[who]!
            blocks.release(h)
            if (drop) {
              h.value = undefined
              expected[who] = undefined
              continue
            }
            blocks.place(h, received(Buffer.alloc(size, i & 0xff)), true)
            expected[who] = size === 0 ? undefined : i & 0xff
          }
          const held = new Set<number>()
          let live = 0
          for (const [who, h] of holders.entries()) {
            if (expected[who] !== undefined) expect([...new Set(blocks.read(h) as Buffer)]).toEqual([expected[who]])
            if (h.block !== NO_BLOCK) {
              held.add(h.block)
              live += (blocks.read(h) as Buffer).length
            }
          }
          // Every block still referenced by a value, but the one being filled, is at least a quarter live.
          const used = [...held].reduce((sum, b) => sum + blocks.state(b).used, 0)
          expect(used).toBeLessThanOrEqual(4 * live + BLOCK_BYTES)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('ReplicaStore with received byte values', () => {
  it('keeps a received value in its own memory only when it wins, and stops counting it when it changes', async () => {
    const clock = new TestClock(10_000)
    const s = new ReplicaStore<Uint8Array>('me@h', clock, new HybridLogicalClock(clock), { tombstoneTtlMs: 500 }, pino({ level: 'silent' }))
    const frame = received(Buffer.from('newer'))
    expect(s.applyRemote('k', 9_000, 0, 'a@h', false, 0, frame, PLACE_BUFFER)).toBe(true)
    const stored = s.get('k')!
    expect(stored.buffer).not.toBe(frame.buffer)
    expect(Buffer.from(stored).toString()).toBe('newer')
    const block = s.entry('k')!.block
    const state = () => s.blocks.state(block)
    expect(state().live).toBe(5)
    // An older version loses and is not copied.
    expect(s.applyRemote('k', 8_000, 0, 'a@h', false, 0, received(Buffer.from('older')), PLACE_BUFFER)).toBe(false)
    expect(state().used).toBe(5)
    s.applyRemote('u', 9_000, 0, 'a@h', false, 11_000, received(new Uint8Array([9])), PLACE_BYTES)
    expect(Buffer.isBuffer(s.get('u'))).toBe(false)
    expect(state().live).toBe(6)
    // A delete, an expiry and a local write each release the bytes they replace.
    s.applyRemote('k', 9_500, 0, 'a@h', true, 0, undefined)
    expect(state().live).toBe(1)
    await clock.advance(1_000)
    s.sweep()
    expect(state().live).toBe(0)
    expect(s.get('u')).toBeUndefined()
  })
  it('copies a local byte value and keeps no object of it, so the caller may reuse its Buffer and reads see the copy', () => {
    const clock = new TestClock(10_000)
    const s = new ReplicaStore<Uint8Array | string>('me@h', clock, new HybridLogicalClock(clock), { tombstoneTtlMs: 500 }, pino({ level: 'silent' }))
    const mine = Buffer.from('first')
    s.setLocal('k', mine, 0)
    mine.write('XXXXX')
    const read = s.get('k') as Buffer
    expect(read.toString()).toBe('first')
    // Each read is a new copy of the stored bytes, and the entry holds the bytes' place, not an object.
    expect(s.get('k')).not.toBe(read)
    expect(s.entry('k')!.value).toBeUndefined()
    const block = s.entry('k')!.block
    const state = () => s.blocks.state(block)
    expect(state().live).toBe(5)
    s.setLocal('p', new Uint8Array([1, 2]), 0)
    expect(Buffer.isBuffer(s.get('p'))).toBe(false)
    expect(s.get('p')).toEqual(new Uint8Array([1, 2]))
    // A new version releases the old bytes; a copy read before keeps what it read.
    s.setLocal('k', 'text', 0)
    expect(state().live).toBe(2)
    expect(s.get('k')).toBe('text')
    expect(read.toString()).toBe('first')
  })
})
