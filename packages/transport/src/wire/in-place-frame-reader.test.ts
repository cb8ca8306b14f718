/**
 * The in-place reader against a simulated socket that fills whatever memory the reader offers with the next bytes of
 * a stream of WebSocket frames, a random amount at a time: what it hands on must be the stream, byte for byte and
 * in order, and must stay so after later reads (no memory handed on is read into again); large frames must arrive as
 * whole chunks of their own once allowed, and never before.
 */
import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { wsFrame } from '../test-support/ws-frame.ts'
import { IN_PLACE_MIN_BYTES, InPlaceFrameReader, READ_AFTER_LARGE_BYTES, SLAB_BYTES } from './in-place-frame-reader.ts'

const MAX_PAYLOAD = 4 * 1024 * 1024

/** A deterministic generator, so a failing case can be replayed from its seed. */
function random(seed: number): (n: number) => number {
  let s = seed >>> 0
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s % n
  }
}

/** A binary frame of `payload` bytes, each `fill`, masked or not. */
function frame(payload: number, masked: boolean, fill: number): Buffer {
  return wsFrame(Buffer.alloc(payload, fill), masked)
}

const SIZES = [0, 5, 125, 126, 300, 4096, 0xffff, 0x10000, 16 * 1024, 20 * 1024, 64 * 1024, 100_000, 300 * 1024]

function frames(seed: number, count: number): Buffer[] {
  const pick = random(seed)
  return Array.from({ length: count }, (_, i) => frame(SIZES[pick(SIZES.length)]!, pick(2) === 1, i % 251))
}

/** Feeds `stream` to `reader` as a socket would, each read at most `maxRead(remaining)` bytes. */
function feed(reader: InPlaceFrameReader, stream: Buffer, from: number, maxRead: () => number): void {
  let at = from
  while (at < stream.length) {
    const target = reader.nextBuffer()
    expect(target.length).toBeGreaterThan(0)
    const n = Math.min(target.length, stream.length - at, 1 + maxRead())
    stream.copy(target, 0, at, at + n)
    at += n
    reader.read(n)
  }
}

describe('InPlaceFrameReader', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`hands on the stream unchanged, whole frames for large ones (seed ${seed})`, () => {
      const all = frames(seed, 60)
      const stream = Buffer.concat(all)
      const chunks: Buffer[] = []
      // Which chunks were frames read in place: the counter moves just before such a frame is handed on.
      const readInPlace: boolean[] = []
      let counted = 0
      const reader = new InPlaceFrameReader((chunk) => {
        chunks.push(chunk)
        readInPlace.push(reader.framesReadInPlace !== counted)
        counted = reader.framesReadInPlace
      }, MAX_PAYLOAD)
      reader.readLargeFramesInPlace = true
      const pick = random(seed * 7919)
      // Reads of every size: a byte, a few, a header's worth, whatever the kernel has.
      const limits = [1, 3, 13, 700, 9000, 70_000, 1 << 20]
      feed(reader, stream, 0, () => pick(limits[pick(limits.length)]!))
      expect(Buffer.concat(chunks).equals(stream)).toBe(true)
      // A frame read in place is memory of its own, ending where its frame ends.
      const ends = new Set<number>()
      let end = 0
      for (const f of all) ends.add((end += f.length))
      let at = 0
      let inPlace = 0
      let lastFrame: Buffer | undefined
      for (const [i, c] of chunks.entries()) {
        at += c.length
        if (!readInPlace[i]) {
          // A slab's bytes, or what followed the last frame read in place, in the room after it.
          if (c.buffer !== lastFrame?.buffer) expect(c.buffer.byteLength).toBe(SLAB_BYTES)
          else expect(c.byteOffset).toBeGreaterThanOrEqual(lastFrame.length)
          continue
        }
        inPlace++
        lastFrame = c
        expect(c.byteOffset).toBe(0)
        expect(c.buffer.byteLength).toBe(c.length + READ_AFTER_LARGE_BYTES)
        expect(c.length).toBeGreaterThan(IN_PLACE_MIN_BYTES)
        expect(ends.has(at)).toBe(true)
      }
      expect(inPlace).toBe(reader.framesReadInPlace)
      expect(inPlace).toBeGreaterThan(5)
    })
  }

  it('reads a large frame that arrives after a small read in place, its payload into its own Buffer', () => {
    const small = frame(10, false, 1)
    const big = frame(64 * 1024, false, 2)
    const chunks: Buffer[] = []
    const reader = new InPlaceFrameReader((chunk) => chunks.push(chunk), MAX_PAYLOAD)
    reader.readLargeFramesInPlace = true
    // The bytes arrive a kilobyte at a time, so the big frame's header comes with little of its payload.
    feed(reader, Buffer.concat([small, big, small, big]), 0, () => 999)
    // The small frame goes on as a view of the slab, the big one, from its header on, as a Buffer of its own.
    expect(chunks.map((c) => c.length)).toEqual([small.length, big.length, small.length, big.length])
    expect(chunks[1]!.equals(big)).toBe(true)
    expect(chunks[1]!.buffer.byteLength).toBe(big.length + READ_AFTER_LARGE_BYTES)
    expect(chunks[3]!.equals(big)).toBe(true)
    expect(reader.framesReadInPlace).toBe(2)
  })

  it('takes what follows a large frame in the read that ends it: one read per large frame', () => {
    const big = frame(64 * 1024, true, 3)
    const small = frame(10, false, 4)
    const chunks: Buffer[] = []
    const reader = new InPlaceFrameReader((chunk) => chunks.push(chunk), MAX_PAYLOAD)
    reader.readLargeFramesInPlace = true
    let fed = 0
    const stream = Buffer.concat([big, small, big, big])
    const sizes: number[] = []
    while (fed < stream.length) {
      const target = reader.nextBuffer()
      sizes.push(target.length)
      // 100 bytes have arrived at the first read; after that the sender is ahead.
      const n = Math.min(target.length, stream.length - fed, fed === 0 ? 100 : Infinity)
      stream.copy(target, 0, fed, fed + n)
      fed += n
      reader.read(n)
    }
    // A slab read, then each frame's rest with what follows it: the small frame and the next header come along.
    const room = READ_AFTER_LARGE_BYTES
    expect(sizes).toEqual([SLAB_BYTES, big.length - 100 + room, big.length - (room - small.length) + room, big.length - room + room])
    expect(reader.framesReadInPlace).toBe(3)
    expect(Buffer.concat(chunks).equals(stream)).toBe(true)
    // The small frame went on as a view of the room after the first large frame, never read into again.
    const first = chunks.find((c) => c.length === big.length)!
    const view = chunks.find((c) => c.length === small.length)!
    expect(view.buffer).toBe(first.buffer)
    expect(view.equals(small)).toBe(true)
  })

  it('reads little after a large frame whose read ended with it, so the next large frame copies little of itself', () => {
    const big = frame(64 * 1024, true, 3)
    const reader = new InPlaceFrameReader(() => undefined, MAX_PAYLOAD)
    reader.readLargeFramesInPlace = true
    let fed = 0
    const stream = Buffer.concat([big, big])
    const sizes: number[] = []
    while (fed < stream.length) {
      const target = reader.nextBuffer()
      sizes.push(target.length)
      // 100 bytes have arrived at the first read; then the sender's writes end where its frames end.
      const frameEnd = fed < big.length ? big.length : stream.length
      const n = Math.min(target.length, frameEnd - fed, fed === 0 ? 100 : Infinity)
      stream.copy(target, 0, fed, fed + n)
      fed += n
      reader.read(n)
    }
    const room = READ_AFTER_LARGE_BYTES
    expect(sizes).toEqual([SLAB_BYTES, big.length - 100 + room, room, big.length - room + room])
    expect(reader.framesReadInPlace).toBe(2)
  })

  it('leaves a frame to ws when little of it is still to come', () => {
    const f = frame(IN_PLACE_MIN_BYTES + 100, false, 4)
    const chunks: Buffer[] = []
    const reader = new InPlaceFrameReader((chunk) => chunks.push(chunk), MAX_PAYLOAD)
    reader.readLargeFramesInPlace = true
    // 200 bytes short: it is handed on as read, in two chunks, and ws joins them.
    feed(reader, f, 0, () => f.length - 201)
    expect(chunks.map((c) => c.length)).toEqual([f.length - 200, 200])
    expect(reader.framesReadInPlace).toBe(0)
  })

  it('reads nothing in place until allowed: an unauthenticated peer cannot make it hold a large frame', () => {
    const stream = Buffer.concat(frames(11, 30))
    const chunks: Buffer[] = []
    const reader = new InPlaceFrameReader((chunk) => chunks.push(chunk), MAX_PAYLOAD)
    feed(reader, stream, 0, () => 1 << 20)
    expect(Buffer.concat(chunks).equals(stream)).toBe(true)
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(SLAB_BYTES)
    expect(reader.framesReadInPlace).toBe(0)
  })

  it('tracks the frames of bytes ws got another way (skip), and hands none of them on', () => {
    const all = frames(12, 40)
    const stream = Buffer.concat(all)
    // The upgrade's leftover ends in the middle of a frame's header.
    const headEnd = all[0]!.length + all[1]!.length + 1
    const chunks: Buffer[] = []
    const reader = new InPlaceFrameReader((chunk) => chunks.push(chunk), MAX_PAYLOAD)
    reader.readLargeFramesInPlace = true
    reader.skip(stream.subarray(0, headEnd))
    expect(chunks).toEqual([])
    feed(reader, stream, headEnd, () => 50_000)
    expect(Buffer.concat(chunks).equals(stream.subarray(headEnd))).toBe(true)
    expect(reader.framesReadInPlace).toBeGreaterThan(0)
  })

  it('hands on everything, unread in place, after a frame over maxPayload (ws refuses it)', () => {
    // 5 MiB announced, 4 MiB allowed: ws closes the connection once it reads the header.
    const huge = frame(0, false, 0)
    const header = Buffer.from([0x82, 127, 0, 0, 0, 0, 0, 0x50, 0, 0])
    const stream = Buffer.concat([huge, header, Buffer.alloc(200_000, 9)])
    const chunks: Buffer[] = []
    const reader = new InPlaceFrameReader((chunk) => chunks.push(chunk), MAX_PAYLOAD)
    reader.readLargeFramesInPlace = true
    feed(reader, stream, 0, () => 1 << 20)
    expect(Buffer.concat(chunks).equals(stream)).toBe(true)
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(SLAB_BYTES)
    expect(reader.framesReadInPlace).toBe(0)
  })

  it('never reads into memory it has handed on', () => {
    const stream = Buffer.concat(frames(13, 200).filter((f) => f.length < 2000))
    const chunks: Buffer[] = []
    const copies: Buffer[] = []
    const reader = new InPlaceFrameReader((chunk) => {
      chunks.push(chunk)
      copies.push(Buffer.from(chunk))
    }, MAX_PAYLOAD)
    const pick = random(99)
    feed(reader, stream, 0, () => pick(3000))
    chunks.forEach((c, i) => expect(c.equals(copies[i]!)).toBe(true))
  })
})
