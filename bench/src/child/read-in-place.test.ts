import { createConnection, createServer } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { InPlaceFrameReader, readFramesInPlace } from './read-in-place.ts'

function lengthPrefixed(frames: Buffer[]): Buffer {
  return Buffer.concat(frames.flatMap((f) => {
    const head = Buffer.allocUnsafe(4)
    head.writeUInt32BE(f.length, 0)
    return [head, f]
  }))
}

function frameOf(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff
  return b
}

/** Plays a socket's reads: each into the reader's next buffer, at most the next of `pieces` (cycled) bytes. */
function feed(reader: InPlaceFrameReader, bytes: Buffer, pieces: number[], onRead?: (target: Buffer) => void): void {
  let at = 0
  for (let k = 0; at < bytes.length; k++) {
    const target = reader.nextBuffer()
    onRead?.(target)
    const n = Math.min(target.length, pieces[k % pieces.length]!, bytes.length - at)
    bytes.copy(target, 0, at, at + n)
    at += n
    reader.read(n, target)
  }
}

describe('InPlaceFrameReader', () => {
  it('reads frames of every size intact, whatever the reads cut them into', () => {
    const sent = [frameOf(0, 1), frameOf(1, 2), frameOf(5000, 3), frameOf(300 * 1024, 4), frameOf(3, 5), frameOf(70 * 1024, 6)]
    const bytes = lengthPrefixed(sent)
    // Reads that split a length, hold several frames, and end mid-frame.
    for (const pieces of [[1], [2, 3], [4097, 1, 65536, 7], [1 << 20]]) {
      const frames: Buffer[] = []
      feed(new InPlaceFrameReader((f) => frames.push(f)), bytes, pieces)
      expect(frames.map((f) => f.length)).toEqual(sent.map((f) => f.length))
      for (let i = 0; i < sent.length; i++) expect(frames[i]!.equals(sent[i]!)).toBe(true)
    }
  })

  it('reads the rest of a frame into the frame itself', () => {
    const frames: Buffer[] = []
    const reader = new InPlaceFrameReader((f) => frames.push(f))
    const targets: Buffer[] = []
    feed(reader, lengthPrefixed([frameOf(200_000, 9)]), [1000, 1 << 20], (t) => targets.push(t))
    // The first read (the length and 996 bytes) went into the small buffer, the second into the frame's own memory.
    expect(targets).toHaveLength(2)
    expect(targets[1]!.buffer).toBe(frames[0]!.buffer)
    expect(targets[1]!.byteOffset).toBe(frames[0]!.byteOffset + 996)
  })

  it('gives each frame a Buffer of its own, not a view of memory that is read into again', () => {
    const sent = Array.from({ length: 50 }, (_, i) => frameOf(100 + i, i))
    const frames: Buffer[] = []
    feed(new InPlaceFrameReader((f) => frames.push(f)), lengthPrefixed(sent), [3000])
    // Checked after every frame has arrived: a view of the reused buffer would hold later bytes by now.
    for (let i = 0; i < sent.length; i++) expect(frames[i]!.equals(sent[i]!)).toBe(true)
  })
})

describe('readFramesInPlace', () => {
  let server: Server | undefined
  afterEach(async () => {
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
    server = undefined
  })

  it('reads an accepted socket\'s frames through its moved handle', async () => {
    const sent = [frameOf(10, 1), frameOf(100_000, 2), frameOf(7, 3)]
    const frames: Buffer[] = []
    const all = new Promise<void>((resolve) => {
      server = createServer({ pauseOnConnect: true }, (accepted) => {
        const socket = readFramesInPlace(accepted, (frame) => {
          frames.push(frame)
          if (frames.length === sent.length) {
            socket.destroy()
            resolve()
          }
        })
      })
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()))
    const client = createConnection((server!.address() as AddressInfo).port, '127.0.0.1')
    client.end(lengthPrefixed(sent))
    await all
    expect(frames.map((f, i) => f.equals(sent[i]!))).toEqual([true, true, true])
  })

  it('refuses a socket that has no handle left to move', () => {
    const socket = { _handle: null } as unknown as Parameters<typeof readFramesInPlace>[0]
    expect(() => readFramesInPlace(socket, () => {})).toThrow(/pauseOnConnect/)
  })
})
