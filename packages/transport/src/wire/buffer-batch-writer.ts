/**
 * Writes a send batch whose messages are all Buffers without msgpackr, byte for byte as msgpackr (with core's codec
 * options and Buffer writer) would. msgpackr finds a Buffer's writer by trying its extensions with `instanceof` at
 * one call site; once anything else has reached that site (every node packs pids in its control messages), V8 treats
 * it as megamorphic and each Buffer pays a generic lookup there: a 64-byte send cost 61 ns to pack instead of 48 ns,
 * and 8 or more sender pairs ran at two thirds of bare ws where one lucky pair ran at four fifths
 * (bench/RESULTS.md, change 16). A batch of Buffers is only integers, nils and bins, which need no dispatch at all.
 *
 * Hot path: sealing a batch of byte messages (send-batch.ts `encode`).
 * Gotchas: integers from 0x40 up are written as uint8 or wider, not as fixints, because core's codec uses msgpackr
 * records, which take 0x40–0x7f for record ids; integers of 2³² and up are float64, as msgpackr writes them. A test
 * compares the bytes with the codec's for every width.
 */
import { Buffer } from 'node:buffer'

/** Encodes `[16, values]`, where each value is a non-negative safe integer, null or a Buffer, into at most `bound` bytes. */
export function writeBufferBatch(code: number, values: readonly unknown[], bound: number): Uint8Array {
  const out = Buffer.allocUnsafe(bound)
  out[0] = 0x92
  let at = writeUint(out, 1, code)
  at = writeArrayHeader(out, at, values.length)
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (value === null) out[at++] = 0xc0
    else if (typeof value === 'number') at = writeUint(out, at, value)
    else at = writeBin(out, at, value as Buffer)
  }
  return out.subarray(0, at)
}

function writeArrayHeader(out: Buffer, at: number, length: number): number {
  if (length < 0x10) {
    out[at] = 0x90 | length
    return at + 1
  }
  if (length < 0x10000) {
    out[at] = 0xdc
    out.writeUInt16BE(length, at + 1)
    return at + 3
  }
  out[at] = 0xdd
  out.writeUInt32BE(length, at + 1)
  return at + 5
}

function writeUint(out: Buffer, at: number, n: number): number {
  if (n < 0x40) {
    out[at] = n
    return at + 1
  }
  if (n < 0x100) {
    out[at] = 0xcc
    out[at + 1] = n
    return at + 2
  }
  if (n < 0x10000) {
    out[at] = 0xcd
    out.writeUInt16BE(n, at + 1)
    return at + 3
  }
  if (n < 0x100000000) {
    out[at] = 0xce
    out.writeUInt32BE(n, at + 1)
    return at + 5
  }
  out[at] = 0xcb
  out.writeDoubleBE(n, at + 1)
  return at + 9
}

function writeBin(out: Buffer, at: number, bytes: Buffer): number {
  const length = bytes.length
  if (length < 0x100) {
    out[at] = 0xc4
    out[at + 1] = length
    at += 2
  } else if (length < 0x10000) {
    out[at] = 0xc5
    out.writeUInt16BE(length, at + 1)
    at += 3
  } else {
    out[at] = 0xc6
    out.writeUInt32BE(length, at + 1)
    at += 5
  }
  out.set(bytes, at)
  return at + length
}
