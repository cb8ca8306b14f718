import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { RespWriter } from './resp-writer.ts'

const text = (w: RespWriter): string => Buffer.concat(w.take()).toString('latin1')

describe('RespWriter', () => {
  it('encodes every RESP2 reply type', () => {
    const w = new RespWriter()
    w.ok()
    w.simple('PONG')
    w.error('ERR bad\r\nthing')
    w.integer(-3)
    w.bulk(Buffer.from('hi'))
    w.bulk(undefined)
    w.arrayHeader(2)
    w.bulkText('é')
    w.bulkLatin1('\u00ff\u0000')
    w.nullArray()
    expect(text(w)).toBe('+OK\r\n+PONG\r\n-ERR bad  thing\r\n:-3\r\n$2\r\nhi\r\n$-1\r\n*2\r\n$2\r\nÃ©\r\n$2\r\n\u00ff\u0000\r\n*-1\r\n')
    expect(w.empty).toBe(true)
  })

  it('writes lengths and integers as digits, and copies small and mid-sized values byte for byte', () => {
    const w = new RespWriter(8)
    let expected = ''
    for (const n of [0, 1, 9, 10, 99, 100, 12_345, 2 ** 31, Number.MAX_SAFE_INTEGER, -1, -100]) {
      w.integer(n)
      expected += `:${n}\r\n`
    }
    for (const length of [0, 1, 3, 63, 64, 65, 1000, 65_535]) {
      const value = Buffer.alloc(length)
      for (let i = 0; i < length; i++) value[i] = (i * 7 + length) & 0xff
      w.bulk(value)
      expected += `$${length}\r\n${value.toString('latin1')}\r\n`
    }
    w.ok()
    expected += '+OK\r\n'
    expect(text(w)).toBe(expected)
  })

  it('grows past its initial buffer and keeps large values in order', () => {
    const w = new RespWriter(8)
    const large = Buffer.alloc(100_000, 0x62)
    w.simple('A'.repeat(100))
    w.bulk(large)
    w.integer(7)
    const parts = w.take()
    expect(parts.some((p) => p.buffer === large.buffer && p.length === large.length)).toBe(true)
    const all = Buffer.concat(parts).toString('latin1')
    expect(all).toBe(`+${'A'.repeat(100)}\r\n$100000\r\n${'b'.repeat(100_000)}\r\n:7\r\n`)
  })
})
