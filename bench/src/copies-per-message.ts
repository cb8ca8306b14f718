/**
 * Copies of a large payload between `send` and the receiving handler, counted rather than timed: on a shared host the
 * time a copy takes moves with the load, the number of copies does not. Both ends run in this one process over a real
 * loopback WebSocket; every `Uint8Array.prototype.set` and `Buffer.prototype.copy` of 1 KiB or more is counted (the
 * copies that JavaScript makes: msgpackr's `bin` writer, a frame, `ws`'s join of a WebSocket message read in several
 * socket reads, the transport's reassembly), and the total is divided by the bytes sent. The kernel's copies are not
 * counted, and are the same for both sides.
 *
 *   node bench/dist/copies-per-message.js [cohort|ws] <bytes> [messages]
 *
 * `cohort` sends Buffers of that size from one node to an actor of another; `ws` sends them as the baselines do (one
 * msgpack array of Buffers per frame, packed with msgpackr, unpacked on arrival).
 */
import { once } from 'node:events'
import { Packr, Unpackr } from 'msgpackr'
import { WebSocket, WebSocketServer } from 'ws'

let copied = 0
const set = Uint8Array.prototype.set
Uint8Array.prototype.set = function (this: Uint8Array, source: ArrayLike<number>, offset?: number): void {
  if (source.length >= 1024) copied += source.length
  set.call(this, source, offset)
}
const copy = Buffer.prototype.copy
Buffer.prototype.copy = function (this: Buffer, target: Uint8Array, targetStart?: number, sourceStart?: number, sourceEnd?: number): number {
  const n = (sourceEnd ?? this.length) - (sourceStart ?? 0)
  if (n >= 1024) copied += n
  return copy.call(this, target, targetStart, sourceStart, sourceEnd)
}

const [kind = 'cohort', sizeArg = '65536', countArg = '1000'] = process.argv.slice(2)
const size = Number(sizeArg)
const count = Number(countArg)
const body = Buffer.alloc(size, 7)

async function cohort(): Promise<void> {
  const { startNode } = await import('@cohort/transport')
  const cookie = 'copies-per-message-cookie-0123456789'
  const a = await startNode({ name: 'a@127.0.0.1', host: '127.0.0.1', port: 0, cookie })
  const b = await startNode({ name: 'b@127.0.0.1', host: '127.0.0.1', port: 0, cookie })
  try {
    await a.connect({ name: b.name, url: b.url })
    let got = 0
    let done: () => void = () => undefined
    const finished = new Promise<void>((resolve) => (done = resolve))
    const sink = b.system.spawn({ init: () => null, handleInfo: (_m: unknown, s: null) => (++got === count && done(), s) })
    copied = 0
    for (let i = 0; i < count; i++) {
      a.system.send(sink, body)
      if (i % 64 === 63) await a.drain(b.name)
    }
    await finished
  } finally {
    await a.close()
    await b.close()
  }
}

async function bareWs(): Promise<void> {
  const { registerBufferExtension } = await import('@cohort/core/distribution')
  registerBufferExtension()
  const options = { useRecords: true, mapsAsObjects: false, moreTypes: true }
  const packr = new Packr(options)
  const unpackr = new Unpackr(options)
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await once(server, 'listening')
  let got = 0
  let done: () => void = () => undefined
  const finished = new Promise<void>((resolve) => (done = resolve))
  server.on('connection', (socket) => {
    socket.on('message', (data: Buffer) => {
      got += (unpackr.unpack(data) as unknown[]).length
      if (got === count) done()
    })
  })
  const { port } = server.address() as { port: number }
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, generateMask: (mask: Buffer) => void mask.fill(0) })
  await once(client, 'open')
  copied = 0
  // One frame per turn of up to 256 KiB of messages, as the baselines batch.
  const perFrame = Math.max(1, Math.floor((256 * 1024) / size))
  for (let sent = 0; sent < count; ) {
    const n = Math.min(perFrame, count - sent)
    client.send(packr.pack(Array.from({ length: n }, () => body)))
    sent += n
    if (client.bufferedAmount > 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 1))
    else await new Promise((resolve) => setImmediate(resolve))
  }
  await finished
  client.terminate()
  server.close()
}

await (kind === 'ws' ? bareWs() : cohort())
console.log(JSON.stringify({ kind, size, count, copiesPerMessage: Number((copied / count / size).toFixed(2)) }))
