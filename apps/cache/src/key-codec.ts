/**
 * How cache keys map to the replicated map's string keys. Redis keys are byte strings, and so are ours: a key's bytes
 * become a latin1 string, one character (U+0000–U+00FF) per byte. That mapping is one-to-one and lossless for any
 * bytes (UTF-8, binary, NUL), so a key written over RESP, over HTTP or by application code is the same key when its
 * bytes are the same, and `KEYS`/`SCAN` give back exactly the bytes that were written.
 *
 * Gotchas: application code that embeds the cache and uses non-ASCII keys must convert with `keyFromText`, since the
 * map's string for "é" is the latin1 form of its UTF-8 bytes ("Ã©"), not "é" itself.
 */
import { Buffer } from 'node:buffer'

/** The map key for a key's bytes. */
export function keyFromBytes(bytes: Uint8Array): string {
  // Parsed arguments are Buffers already: no view to make on the hot path.
  if (Buffer.isBuffer(bytes)) return bytes.toString('latin1')
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/** The map key for a text key, by its UTF-8 bytes (what redis-cli and ioredis send for a JavaScript string). */
export function keyFromText(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1')
}

/** A key's bytes. */
export function keyToBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1')
}

/** A key as text: its bytes decoded as UTF-8 (invalid sequences become U+FFFD, so prefer keyToBytes for binary keys). */
export function keyToText(key: string): string {
  return Buffer.from(key, 'latin1').toString('utf8')
}

/**
 * The map key for a percent-encoded URL path segment: `%XX` escapes give bytes as they are (so `%FF` is the byte 0xFF,
 * not a character), other characters give their UTF-8 bytes. Undefined for a malformed escape.
 */
export function keyFromUrlSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return keyFromText(segment)
  const bytes: number[] = []
  for (let i = 0; i < segment.length; ) {
    const c = segment.charCodeAt(i)
    if (c === 0x25 /* '%' */) {
      const hex = segment.slice(i + 1, i + 3)
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined
      bytes.push(parseInt(hex, 16))
      i += 3
      continue
    }
    const codePoint = segment.codePointAt(i)!
    const char = String.fromCodePoint(codePoint)
    for (const b of Buffer.from(char, 'utf8')) bytes.push(b)
    i += char.length
  }
  return Buffer.from(bytes).toString('latin1')
}

/** A key percent-encoded as a URL path segment (the inverse of keyFromUrlSegment). */
export function keyToUrlSegment(key: string): string {
  let out = ''
  for (let i = 0; i < key.length; i++) {
    const b = key.charCodeAt(i)
    const unreserved = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e
    out += unreserved ? key[i] : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}
