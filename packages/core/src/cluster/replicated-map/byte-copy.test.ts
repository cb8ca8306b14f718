import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { LastView, WORD_COPY_MAX, copyBytes, copyWords } from './byte-copy.ts'

/** Bytes 0, 1, 2, … (mod 256) at `offset` of memory filled with 0xaa, as a value inside a received frame. */
function numbered(length: number, offset: number): Buffer {
  const memory = Buffer.alloc(offset + length + 16, 0xaa)
  for (let i = 0; i < length; i++) memory[offset + i] = i & 0xff
  return memory
}

function expectCopied(target: Uint8Array, at: number, length: number): void {
  expect([...target.subarray(0, at)]).toEqual(Array.from({ length: at }, () => 0xbb))
  expect([...target.subarray(at, at + length)]).toEqual(Array.from({ length }, (_, i) => i & 0xff))
  expect([...target.subarray(at + length)]).toEqual(Array.from({ length: target.length - at - length }, () => 0xbb))
}

describe('copyWords', () => {
  it('copies any length at any alignment, words and the bytes left over, and nothing around them', () => {
    for (const length of [0, 1, 3, 4, 5, 8, 99, 100, WORD_COPY_MAX]) {
      for (const [from, to] of [[0, 0], [1, 3], [3, 2], [7, 5]] as const) {
        const source = numbered(length, from)
        const target = new Uint8Array(to + length + 9).fill(0xbb)
        copyWords(new DataView(target.buffer), to, new DataView(source.buffer, source.byteOffset), from, from + length)
        expectCopied(target, to, length)
      }
    }
  })

  it('keeps every bit of a float NaN that is not the canonical one', () => {
    // A signalling NaN with a payload: copied as floats, it could come out as another NaN.
    const source = Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x7f, 0xff, 0xff, 0xff, 0x7f])
    const target = Buffer.alloc(source.length)
    copyWords(new DataView(target.buffer, target.byteOffset), 0, new DataView(source.buffer, source.byteOffset), 0, source.length)
    expect([...target]).toEqual([...source])
  })
})

describe('copyBytes', () => {
  it('copies a range into a range, in a loop for short ones and with set for long ones', () => {
    for (const length of [0, 1, 32, 33, 100, 3000]) {
      // A view that starts inside its memory, as a received frame does.
      const source = numbered(length, 20).subarray(10)
      const target = new Uint8Array(length + 8).fill(0xbb)
      copyBytes(target, 3, source, 10, 10 + length)
      expectCopied(target, 3, length)
    }
  })

  it('copies the whole of a source that is a view inside larger memory, and only it', () => {
    for (const length of [1, 32, 33, 100, 3000]) {
      const source = numbered(length, 10).subarray(10, 10 + length)
      const target = new Uint8Array(length + 8).fill(0xbb)
      copyBytes(target, 3, source, 0, length)
      expectCopied(target, 3, length)
    }
  })
})

describe('LastView', () => {
  it('makes one view per ArrayBuffer in a run, a new one for another, and lets the last go', () => {
    const views = new LastView()
    const a = new ArrayBuffer(16)
    const b = new ArrayBuffer(16)
    const first = views.of(a)
    expect(first.buffer).toBe(a)
    expect(first.byteLength).toBe(16)
    expect(views.of(a)).toBe(first)
    expect(views.of(b).buffer).toBe(b)
    expect(views.of(a)).not.toBe(first)
    const again = views.of(a)
    views.forget()
    expect(views.of(a)).not.toBe(again)
  })
})
