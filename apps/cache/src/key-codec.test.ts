import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { keyFromBytes, keyFromText, keyFromUrlSegment, keyToBytes, keyToText, keyToUrlSegment } from './key-codec.ts'

describe('key codec', () => {
  it('maps any bytes to a string and back without loss', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    const key = keyFromBytes(bytes)
    expect(key.length).toBe(256)
    expect(keyToBytes(key).equals(bytes)).toBe(true)
  })

  it('gives a text key the string of its UTF-8 bytes, the same as RESP would', () => {
    expect(keyFromText('é')).toBe(keyFromBytes(Buffer.from('é', 'utf8')))
    expect(keyToText(keyFromText('naïve ✓'))).toBe('naïve ✓')
  })

  it('reads percent escapes in a URL segment as bytes', () => {
    expect(keyFromUrlSegment('%FF%00a')).toBe('\u00ff\u0000a')
    expect(keyFromUrlSegment('%C3%A9')).toBe(keyFromText('é'))
    expect(keyFromUrlSegment('é')).toBe(keyFromText('é'))
    expect(keyFromUrlSegment('bad%zz')).toBeUndefined()
    expect(keyFromUrlSegment('bad%4')).toBeUndefined()
  })

  it('writes a URL segment that reads back to the same key', () => {
    const key = keyFromBytes(Buffer.from([0x00, 0x2f, 0xff, 0x61]))
    expect(keyToUrlSegment(key)).toBe('%00%2F%FFa')
    expect(keyFromUrlSegment(keyToUrlSegment(key))).toBe(key)
  })
})
