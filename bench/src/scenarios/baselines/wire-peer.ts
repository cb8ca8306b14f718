/**
 * The receiving side of the wire baselines, run as a helper process: a bare `ws` server or a bare `net` server, whose
 * connections read with `data` events (`net`) or into the frames' own Buffers (`net-onread`, child/read-in-place.ts).
 * Each frame is one msgpack array. In `sink` mode it counts the messages of each frame; in `echo` mode each entry
 * is a request `[id, body]` and the replies go back batched as the client sends them (one array per frame, flushed
 * once per event-loop turn).
 */
import { createServer } from 'node:net'
import type { Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import { serveRequests } from '../../child/helper-process.ts'
import { frameReader } from '../../child/length-prefixed.ts'
import { readFramesInPlace } from '../../child/read-in-place.ts'
import { baselinePackr, baselineUnpackr, HOST } from '../../child/wire.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { transport: 'ws' | 'net' | 'net-onread'; mode: 'sink' | 'echo' }
const unpackr = baselineUnpackr()
const packr = baselinePackr()
let received = 0
let bytes = 0

/** Handles one frame; `reply` sends a frame back. */
function makeHandler(reply: (frame: Buffer) => void): (frame: Buffer) => void {
  if (args.mode === 'sink') {
    return (frame) => {
      const entries = unpackr.unpack(frame) as { length?: number }[]
      received += entries.length
      // Buffers count their bytes; objects (kind 'object') are counted by the sender, from their encoded size.
      for (let i = 0; i < entries.length; i++) bytes += entries[i]!.length ?? 0
    }
  }
  let out: unknown[] = []
  let scheduled = false
  const flush = (): void => {
    scheduled = false
    const batch = out
    out = []
    reply(packr.pack(batch))
  }
  return (frame) => {
    const requests = unpackr.unpack(frame) as unknown[]
    received += requests.length
    for (let i = 0; i < requests.length; i++) out.push(requests[i])
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
}

let port: number
if (args.transport === 'ws') {
  const server = new WebSocketServer({ host: HOST, port: 0, maxPayload: 64 * 1024 * 1024, perMessageDeflate: false })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  server.on('connection', (ws: WebSocket) => {
    const handle = makeHandler((frame) => ws.send(frame))
    ws.on('message', (data: Buffer) => handle(data))
  })
  port = (server.address() as AddressInfo).port
} else {
  const inPlace = args.transport === 'net-onread'
  // pauseOnConnect: an accepted socket must not have read anything before its handle moves (readFramesInPlace).
  const server = createServer({ noDelay: true, pauseOnConnect: inPlace }, (accepted: Socket) => {
    let socket = accepted
    const handle = makeHandler((frame) => {
      const header = Buffer.allocUnsafe(4)
      header.writeUInt32BE(frame.length, 0)
      socket.cork()
      socket.write(header)
      socket.write(frame)
      socket.uncork()
    })
    if (inPlace) socket = readFramesInPlace(accepted, handle)
    else socket.on('data', frameReader(handle))
  })
  await new Promise<void>((resolve) => server.listen(0, HOST, () => resolve()))
  port = (server.address() as AddressInfo).port
}

serveRequests((request) => {
  switch (request['type']) {
    case 'info':
      return { port }
    case 'mark':
      return { count: received, bytes, atMs: performance.now(), cpu: process.cpuUsage() }
    default:
      throw new Error(`unknown request ${String(request['type'])}`)
  }
})
