/** Unit tests of fragment splitting and reassembly, and of its limits. */
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from './close-codes.ts'
import { createMessageCodec } from '@cohort/core'
import { validateControl } from './control-validation.ts'
import { FRAGMENT_HEADER_BYTES, fragmentHeader, nextFragment, Reassembler, totalLength } from './fragmenter.ts'
import type { OutgoingStream } from './fragmenter.ts'
import type { FragmentControl } from './transport-control.ts'

const head = (id: number, total: number, length: number): FragmentControl => ({ type: 'fragment', id, total, length })

describe('fragmenter', () => {
  it('splits a message into fragments that reassemble to the same bytes', () => {
    const bytes = Buffer.alloc(10_000, 7)
    bytes[9_999] = 1
    const stream: OutgoingStream = { id: 3, parts: [bytes], total: bytes.length, part: 0, offset: 0, key: '' }
    const r = new Reassembler(20_000)
    let whole: Uint8Array | undefined
    let count = 0
    while (stream.part < stream.parts.length) {
      const f = nextFragment(stream, 4096)
      expect(f).toMatchObject({ id: 3, total: 10_000 })
      count++
      r.head(head(f.id, f.total, f.chunk.length))
      expect(r.awaitingChunk).toBe(true)
      whole = r.chunk(f.chunk)
      expect(r.awaitingChunk).toBe(false)
      if (stream.part < stream.parts.length) expect(whole).toBeUndefined()
    }
    expect(count).toBe(3)
    expect(Buffer.compare(Buffer.from(whole!), bytes)).toBe(0)
    expect(r.pendingBytes).toBe(0)
  })

  it('fragments a message in parts without a fragment spanning two parts', () => {
    const parts = [Buffer.from([1, 2, 3]), Buffer.alloc(5_000, 8), Buffer.from([9])]
    const total = totalLength(parts)
    const stream: OutgoingStream = { id: 4, parts, total, part: 0, offset: 0, key: '' }
    const r = new Reassembler(total)
    const lengths: number[] = []
    let whole: Uint8Array | undefined
    while (stream.part < stream.parts.length) {
      const f = nextFragment(stream, 4096)
      expect(f.total).toBe(total)
      lengths.push(f.chunk.length)
      r.head(head(f.id, f.total, f.chunk.length))
      whole = r.chunk(f.chunk)
    }
    expect(lengths).toEqual([3, 4096, 904, 1])
    expect(Buffer.compare(Buffer.from(whole!), Buffer.concat(parts))).toBe(0)
  })

  it('writes a fragment head that decodes as the fragment control, announcing the chunk', () => {
    const codec = createMessageCodec()
    for (const [id, total, size] of [
      [0, 300_000, 1],
      [0xffffffff, 0xffffffff, 70_000],
    ] as const) {
      const header = fragmentHeader({ id, total, chunk: Buffer.alloc(size, 9) })
      expect(header.length).toBe(FRAGMENT_HEADER_BYTES)
      expect(validateControl(codec.decode(header))).toEqual(head(id, total, size))
    }
  })

  it('refuses a message over maxMessageBytes at its first head, before allocating it', () => {
    const r = new Reassembler(1000)
    expect(() => r.head(head(1, 1001, 10))).toThrow(expect.objectContaining({ closeCode: CLOSE_CODES.messageTooLarge }))
  })

  it('refuses interleaved messages, chunks past the total, and a head before the last chunk (4007)', () => {
    const r = new Reassembler(1000)
    r.head(head(1, 100, 10))
    r.chunk(new Uint8Array(10))
    expect(() => r.head(head(2, 100, 10))).toThrow(expect.objectContaining({ closeCode: CLOSE_CODES.unknownControl }))
    const r2 = new Reassembler(1000)
    r2.head(head(1, 100, 95))
    r2.chunk(new Uint8Array(95))
    expect(() => r2.head(head(1, 100, 10))).toThrow(expect.objectContaining({ closeCode: CLOSE_CODES.unknownControl }))
    const r3 = new Reassembler(1000)
    r3.head(head(1, 100, 10))
    expect(() => r3.head(head(1, 100, 10))).toThrow(expect.objectContaining({ closeCode: CLOSE_CODES.unknownControl }))
  })

  it('refuses a chunk of another length than its head announced, or with no head (4006)', () => {
    const r = new Reassembler(1000)
    r.head(head(1, 100, 10))
    expect(() => r.chunk(new Uint8Array(11))).toThrow(expect.objectContaining({ closeCode: CLOSE_CODES.malformed }))
    expect(() => new Reassembler(1000).chunk(new Uint8Array(1))).toThrow(expect.objectContaining({ closeCode: CLOSE_CODES.malformed }))
  })
})
