/** Unit tests of fragment splitting and reassembly, and of its limits. */
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from './close-codes.ts'
import { ProtocolError } from './errors.ts'
import { createMessageCodec } from '@cohort/core'
import { validateControl } from './control-validation.ts'
import { FRAGMENT_HEADER_BYTES, fragmentHeader, nextFragment, Reassembler } from './fragmenter.ts'
import type { OutgoingStream } from './fragmenter.ts'

describe('fragmenter', () => {
  it('splits a message into fragments that reassemble to the same bytes', () => {
    const bytes = Buffer.alloc(10_000, 7)
    bytes[9_999] = 1
    const stream: OutgoingStream = { id: 3, bytes, offset: 0, key: '' }
    const r = new Reassembler(20_000)
    let whole: Uint8Array | undefined
    let count = 0
    while (stream.offset < bytes.length) {
      const f = nextFragment(stream, 4096)
      expect(f).toMatchObject({ type: 'fragment', id: 3, total: 10_000 })
      count++
      whole = r.add(f)
      if (stream.offset < bytes.length) expect(whole).toBeUndefined()
    }
    expect(count).toBe(3)
    expect(Buffer.compare(Buffer.from(whole!), bytes)).toBe(0)
    expect(r.pendingBytes).toBe(0)
  })

  it('writes a fragment header that, followed by the chunk, decodes as the fragment control', () => {
    const codec = createMessageCodec()
    for (const [id, total, size] of [
      [0, 300_000, 1],
      [0xffffffff, 0xffffffff, 70_000],
    ] as const) {
      const chunk = Buffer.alloc(size, 9)
      const header = fragmentHeader({ type: 'fragment', id, total, chunk })
      expect(header.length).toBe(FRAGMENT_HEADER_BYTES)
      const decoded = validateControl(codec.decode(Buffer.concat([header, chunk])))
      expect(decoded).toEqual({ type: 'fragment', id, total, chunk })
    }
  })

  it('refuses a message over maxMessageBytes before allocating it', () => {
    const r = new Reassembler(1000)
    expect(() => r.add({ type: 'fragment', id: 1, total: 1001, chunk: new Uint8Array(10) })).toThrow(
      expect.objectContaining({ closeCode: CLOSE_CODES.messageTooLarge }),
    )
  })

  it('refuses interleaved messages and chunks past the total', () => {
    const r = new Reassembler(1000)
    r.add({ type: 'fragment', id: 1, total: 100, chunk: new Uint8Array(10) })
    expect(() => r.add({ type: 'fragment', id: 2, total: 100, chunk: new Uint8Array(10) })).toThrow(ProtocolError)
    const r2 = new Reassembler(1000)
    r2.add({ type: 'fragment', id: 1, total: 100, chunk: new Uint8Array(95) })
    expect(() => r2.add({ type: 'fragment', id: 1, total: 100, chunk: new Uint8Array(10) })).toThrow(
      expect.objectContaining({ closeCode: CLOSE_CODES.unknownControl }),
    )
  })
})
