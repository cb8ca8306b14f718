/**
 * Switching a connected socket to the in-place reader, on real loopback sockets: its `data` listeners get every byte
 * in order, pausing stops the reads until `resume`, and a socket it cannot switch is left alone with the reason.
 */
import { Buffer } from 'node:buffer'
import { connect, createServer, Socket } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { wsFrame } from '../test-support/ws-frame.ts'
import { InPlaceFrameReader } from '../wire/in-place-frame-reader.ts'
import { readInPlace } from './read-in-place.ts'

const servers: Server[] = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

/** A connected pair on loopback: `dialled` is ours to switch, `accepted` writes to it. */
async function pair(): Promise<{ dialled: Socket; accepted: Socket }> {
  const server = createServer()
  servers.push(server)
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const dialled = connect((server.address() as AddressInfo).port, '127.0.0.1')
  await new Promise<void>((resolve) => dialled.once('connect', () => resolve()))
  const other = await accepted
  for (const s of [dialled, other]) servers.push({ close: () => s.destroy() } as unknown as Server)
  return { dialled, accepted: other }
}

/** Unmasked binary frames of the given payload sizes, each filled with its index. */
function frames(sizes: number[]): Buffer {
  return Buffer.concat(sizes.map((n, i) => wsFrame(Buffer.alloc(n, i), false)))
}

describe('readInPlace', () => {
  it('hands every byte to the data listeners in order, large frames read in place', async () => {
    const { dialled, accepted } = await pair()
    const got: Buffer[] = []
    dialled.on('data', (chunk: Buffer) => got.push(chunk))
    const reader = readInPlace(dialled, 4 * 1024 * 1024)
    expect(reader).toBeInstanceOf(InPlaceFrameReader)
    ;(reader as InPlaceFrameReader).readLargeFramesInPlace = true
    const stream = frames([10, 200_000, 5, 70_000, 300, 1_000_000, 3])
    const ended = new Promise<void>((resolve) => dialled.once('end', () => resolve()))
    accepted.end(stream)
    await ended
    expect(Buffer.concat(got).equals(stream)).toBe(true)
    expect((reader as InPlaceFrameReader).framesReadInPlace).toBeGreaterThanOrEqual(3)
  })

  it('reads nothing while paused, and everything after resume', async () => {
    const { dialled, accepted } = await pair()
    const reader = readInPlace(dialled, 4 * 1024 * 1024) as InPlaceFrameReader
    let bytes = 0
    let paused = false
    let whilePaused = 0
    const first = new Promise<void>((resolve) => {
      dialled.on('data', (chunk: Buffer) => {
        if (paused) whilePaused += chunk.length
        if (bytes === 0) {
          paused = true
          dialled.pause()
          resolve()
        }
        bytes += chunk.length
      })
    })
    const stream = frames(Array.from({ length: 50 }, () => 10_000))
    accepted.write(stream)
    await first
    // The rest of the stream waits in the kernel (loopback): a turn of the event loop would read some of it if the
    // socket still read.
    const written = bytes
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(whilePaused).toBe(0)
    expect(bytes).toBe(written)
    const ended = new Promise<void>((resolve) => dialled.once('end', () => resolve()))
    paused = false
    accepted.end()
    dialled.resume()
    await ended
    expect(bytes).toBe(stream.length)
    expect(reader.framesReadInPlace).toBe(0)
  })

  it('leaves alone what it cannot switch, and says why', async () => {
    expect(readInPlace(new PassThrough(), 1024)).toBe('not-an-open-socket')
    expect(readInPlace(new Socket(), 1024)).toBe('not-an-open-socket')
    // A socket switched once reads another way already: it is not switched again.
    const { dialled } = await pair()
    expect(readInPlace(dialled, 1024)).toBeInstanceOf(InPlaceFrameReader)
    expect(readInPlace(dialled, 1024)).toBe('reads-another-way')
  })
})
