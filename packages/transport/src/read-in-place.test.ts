/**
 * Reading large frames in place (`readInPlace`), between two real nodes over loopback: messages of every size, from a
 * few bytes through attached Buffers to streamed ones, arrive whole and in order in both directions, with the large
 * frames read in place on the side that dialled and on the side that accepted, over ws:// and over wss://; and
 * `readInPlace: false` reads Node's default way.
 */
import { Buffer } from 'node:buffer'
import { connect } from 'node:net'
import { createMessageCodec, Pid } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { ClientHandshake } from './connection/handshake.ts'
import type { CohortNode } from './start-node.ts'
import type { NodeOptions } from './node/node-options.ts'
import { testNode, track, until } from './test-support/nodes.ts'
import { makeTestCertificates } from './test-support/test-certificates.ts'
import { wireForm } from './test-support/wire-form.ts'
import { wsFrame } from './test-support/ws-frame.ts'
import { decodeHandshake, encodeHandshake } from './wire/handshake-codec.ts'
import { writeFrame } from './wire/wire-codec.ts'

/** Sizes around every boundary the reader and the transport have: header lengths, attachments, a slab, fragments. */
const SIZES = [0, 1, 125, 126, 4000, 16 * 1024 - 1, 16 * 1024, 20_000, 65_535, 65_536, 70_000, 300_000, 1024 * 1024, 3 * 1024 * 1024]

interface Message {
  seq: number
  blob: Buffer
  note: string
}

function message(seq: number): Message {
  const blob = Buffer.alloc(SIZES[seq % SIZES.length]!, seq & 0xff)
  for (let i = 0; i < blob.length; i += 997) blob[i] = (seq + i) & 0xff
  return { seq, blob, note: `message ${seq}` }
}

/** A sink on `node` that keeps what it receives. */
function sink(node: CohortNode): { pid: Pid; got: Message[] } {
  const got: Message[] = []
  const pid: Pid = node.system.spawn(async (ctx) => {
    for (;;) got.push((await ctx.receive()) as Message)
  })
  return { pid, got }
}

async function exchange(aOptions: Partial<NodeOptions>, bOptions: Partial<NodeOptions>): Promise<{ aRead: number; bRead: number }> {
  const { node: a } = await testNode('a', aOptions)
  const { node: b } = await testNode('b', bOptions)
  const toA = sink(a)
  const toB = sink(b)
  await a.connect({ name: b.name, url: b.url })
  const count = SIZES.length * 4
  for (let seq = 0; seq < count; seq++) {
    a.system.send(toB.pid, message(seq))
    b.system.send(toA.pid, message(seq))
  }
  await until(() => toA.got.length === count && toB.got.length === count, 'every message')
  for (const got of [toA.got, toB.got]) {
    expect(got.map((m) => m.seq)).toEqual([...Array(count).keys()])
    for (const m of got) expect(Buffer.from(m.blob).equals(message(m.seq).blob)).toBe(true)
  }
  const framesRead = (node: CohortNode, peer: string): number => node.stats().peers.find((p) => p.node === peer)!.framesReadInPlace
  return { aRead: framesRead(a, b.name), bRead: framesRead(b, a.name) }
}

describe('reading large frames in place', () => {
  it('delivers messages of every size whole and in order both ways, reading large frames in place on both sides', async () => {
    const { aRead, bRead } = await exchange({}, {})
    // Each side receives Buffers of 16 KiB and more, attached or streamed: their frames are read in place.
    expect(aRead).toBeGreaterThan(0)
    expect(bRead).toBeGreaterThan(0)
  })

  it('reads large frames in place over wss too: what TLS decrypts goes into the frame, every size whole and in order', async () => {
    const { ca, good } = makeTestCertificates()
    const { aRead, bRead } = await exchange({ tls: { ...good, ca } }, { tls: { ...good, ca } })
    expect(aRead).toBeGreaterThan(0)
    expect(bRead).toBeGreaterThan(0)
  })

  it('reads the default way with readInPlace: false, and the other side still reads in place', async () => {
    const { aRead, bRead } = await exchange({ readInPlace: false }, {})
    expect(aRead).toBe(0)
    expect(bRead).toBeGreaterThan(0)
  })

  it('follows the frames that came in the same packet as the upgrade request, so later large frames are read in place', async () => {
    const { node } = await testNode('a')
    const got = sink(node)
    const { socket, frames } = await rawClient(node.url)
    const hs = new ClientHandshake({ name: 'raw@127.0.0.1', creation: 1, url: 'ws://127.0.0.1:1', hidden: false, cookie: 'test-cookie' }, undefined)
    // The hello and the first byte of a ping ride with the upgrade request: the server's ws gets them as the
    // upgrade's leftover, and the reader, which starts after, must know that a frame's header is half read. Read as a
    // header of its own, the ping's rest (0xfd 0xff …) would announce a frame of 2^64 bytes, and nothing would be read
    // in place afterwards.
    const ping = Buffer.concat([Buffer.from([0x89, 0x80 | 125]), Buffer.alloc(4 + 125, 0xff)])
    const u = new URL(node.url)
    socket.write(
      Buffer.concat([
        Buffer.from(
          `GET / HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
        wsFrame(encodeHandshake(hs.hello()), true),
        ping.subarray(0, 1),
      ]),
    )
    const challenge = decodeHandshake(await frames.next(0x82))
    socket.write(Buffer.concat([ping.subarray(1), wsFrame(encodeHandshake(hs.challenge(challenge)), true)]))
    await frames.next(0x8a)
    hs.accept(decodeHandshake(await frames.next(0x82)))
    const codec = createMessageCodec()
    const send = codec.encode(wireForm({ type: 'send', to: got.pid, from: undefined, msg: 'x'.repeat(100_000) }))
    socket.write(wsFrame(writeFrame([send], 1, send.length), true))
    await until(() => got.got.length === 1, 'the large message')
    expect(got.got[0]).toBe('x'.repeat(100_000))
    expect(node.stats().peers.find((p) => p.node === 'raw@127.0.0.1')?.framesReadInPlace).toBe(1)
  })
})

/** A TCP client that speaks WebSocket by hand; `frames.next(opcode)` resolves with the next server frame's payload. */
async function rawClient(url: string) {
  const u = new URL(url)
  const socket = connect(Number(u.port), u.hostname)
  socket.on('error', () => undefined)
  track({ close: async () => void socket.destroy() })
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  let bytes = Buffer.alloc(0)
  let upgraded = false
  let wake = (): void => undefined
  socket.on('data', (d: Buffer) => {
    bytes = Buffer.concat([bytes, d])
    if (!upgraded) {
      const end = bytes.indexOf('\r\n\r\n')
      if (end < 0) return
      upgraded = true
      bytes = bytes.subarray(end + 4)
    }
    wake()
  })
  /** The next whole unmasked server frame, if it has arrived. */
  const take = (): { opcode: number; payload: Buffer } | undefined => {
    if (bytes.length < 2) return undefined
    const length7 = bytes[1]! & 0x7f
    const [headLength, payloadLength] = length7 < 126 ? [2, length7] : [4, bytes.readUInt16BE(2)]
    if (bytes.length < headLength + payloadLength) return undefined
    const payload = bytes.subarray(headLength, headLength + payloadLength)
    const opcode = bytes[0]! & 0x8f
    bytes = bytes.subarray(headLength + payloadLength)
    return { opcode, payload }
  }
  const next = (opcode: number): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      wake = () => {
        const frame = take()
        if (frame === undefined) return
        if (frame.opcode === opcode) resolve(frame.payload)
        else reject(new Error(`expected opcode ${opcode}, got ${frame.opcode}`))
      }
      wake()
    })
  return { socket, frames: { next } }
}
