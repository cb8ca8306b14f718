import { describe, expect, it } from 'vitest'
import { Buffer } from 'node:buffer'
import { fingerprint, hashAsciiBytes, hashLatin1Bytes, hashString } from './key-hash.ts'

describe('key hashes', () => {
  it('spreads keys over the leaf ranges (the top 16 bits)', () => {
    const leaves = new Set<number>()
    for (let i = 0; i < 10_000; i++) leaves.add(hashString(`key:${i}`) >>> 16)
    // 10,000 keys over 65,536 ranges: about 9,300 distinct ones if the hash is uniform.
    expect(leaves.size).toBeGreaterThan(9000)
  })

  it('gives every part of a version its own say in the fingerprint', () => {
    const base = fingerprint(42, 1_764_700_000_000, 3, 'a@h', false, 0)
    expect(fingerprint(42, 1_764_700_000_000, 3, 'a@h', false, 0)).toBe(base)
    for (const other of [
      fingerprint(43, 1_764_700_000_000, 3, 'a@h', false, 0),
      fingerprint(42, 1_764_700_000_001, 3, 'a@h', false, 0),
      fingerprint(42, 1_764_700_000_000 + 2 ** 32, 3, 'a@h', false, 0),
      fingerprint(42, 1_764_700_000_000, 4, 'a@h', false, 0),
      fingerprint(42, 1_764_700_000_000, 3, 'b@h', false, 0),
      fingerprint(42, 1_764_700_000_000, 3, 'a@h', true, 0),
      fingerprint(42, 1_764_700_000_000, 3, 'a@h', false, 1_764_700_060_000),
    ]) {
      expect(other).not.toBe(base)
    }
  })

  it('hashes an ASCII key from its bytes as from its string, and refuses other bytes', () => {
    const frame = Buffer.from('xx' + 'user:42' + 'yy')
    expect(hashAsciiBytes(frame, 2, 9)).toBe(hashString('user:42'))
    expect(hashAsciiBytes(frame, 2, 2)).toBe(hashString(''))
    const utf8 = Buffer.from('ключ')
    expect(hashAsciiBytes(utf8, 0, utf8.length)).toBe(-1)
  })

  it('hashes a Latin-1 key from its bytes as from its string, for every byte value', () => {
    const bytes = Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => 255 - i))
    for (const [start, end] of [[0, 256], [100, 228], [7, 7]] as const) {
      expect(hashLatin1Bytes(bytes, start, end)).toBe(hashString(bytes.toString('latin1', start, end)))
    }
  })
})
