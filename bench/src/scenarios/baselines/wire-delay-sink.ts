/**
 * The receiving side of `baseline.ws.delay.*`, run as a helper process: a bare `ws` server whose frames are msgpack
 * arrays of 100-byte Buffers, each starting with its intended send time on the machine-wide monotonic clock (µs, a
 * little-endian double); it keeps an HDR histogram of the delays, read and reset by `delays`.
 */
import type { AddressInfo } from 'node:net'
import hdr from 'hdr-histogram-js'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import { serveRequests } from '../../child/helper-process.ts'
import { baselineUnpackr, HOST } from '../../child/wire.ts'

const unpackr = baselineUnpackr()
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)
const build = (): hdr.Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 })
let histogram = build()

const server = new WebSocketServer({ host: HOST, port: 0, perMessageDeflate: false })
await new Promise<void>((resolve) => server.once('listening', () => resolve()))
server.on('connection', (ws: WebSocket) => {
  ws.on('message', (data: Buffer) => {
    const now = nowUs()
    for (const b of unpackr.unpack(data) as Buffer[]) histogram.recordValue(Math.max(1, Math.round(now - b.readDoubleLE(0))))
  })
})
const port = (server.address() as AddressInfo).port

serveRequests((request) => {
  switch (request['type']) {
    case 'info':
      return { port }
    case 'delays': {
      const out = { p50: histogram.getValueAtPercentile(50), p99: histogram.getValueAtPercentile(99), p999: histogram.getValueAtPercentile(99.9), count: histogram.totalCount }
      histogram.destroy()
      histogram = build()
      return out
    }
    default:
      throw new Error(`unknown request ${String(request['type'])}`)
  }
})
