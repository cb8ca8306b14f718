/**
 * The sending side of the wire baselines: a bare `ws` or `net` connection with Cohort's batching: messages are
 * collected into one msgpack array per frame, flushed once per event-loop turn or at FLUSH_THRESHOLD_BYTES; above
 * HIGH_WATER_MARK_BYTES of unsent bytes the producer waits until they fall below LOW_WATER_MARK_BYTES.
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { WebSocket } from 'ws'
import { frameReader } from './length-prefixed.ts'
import { baselinePackr, FLUSH_THRESHOLD_BYTES, HIGH_WATER_MARK_BYTES, HOST, LOW_WATER_MARK_BYTES } from './wire.ts'

export interface WireClient {
  /** Queues one message (its payload size counted toward the flush threshold). */
  enqueue(message: unknown, sizeBytes: number): void
  /** True while unsent bytes are above the high-water mark: the producer should stop. */
  readonly busy: boolean
  /** Resolves once unsent bytes are below the low-water mark. */
  drained(): Promise<void>
  close(): void
}

function zeroMask(mask: Buffer): void {
  mask.fill(0)
}

export async function connectWire(transport: 'ws' | 'net', port: number, onFrame: (frame: Buffer) => void): Promise<WireClient> {
  const packr = baselinePackr()
  let write: (frame: Buffer, done: () => void) => void
  let unsent: () => number
  let close: () => void
  if (transport === 'ws') {
    // Framed as a Cohort node frames what it sends on a connection it dialled: unmasked (a zero key, the transport's
    // `maskFrames: false` default), so the ratio compares the runtime, not a framing choice.
    const ws = new WebSocket(`ws://${HOST}:${port}`, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, generateMask: zeroMask })
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    ws.on('message', (data: Buffer) => onFrame(data))
    write = (frame, done) => ws.send(frame, { binary: true }, () => done())
    unsent = () => ws.bufferedAmount
    close = () => ws.terminate()
  } else {
    const socket: Socket = connect({ host: HOST, port, noDelay: true })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('error', reject)
    })
    socket.on('data', frameReader(onFrame))
    write = (frame, done) => {
      const header = Buffer.allocUnsafe(4)
      header.writeUInt32BE(frame.length, 0)
      socket.cork()
      socket.write(header)
      socket.write(frame, () => done())
      socket.uncork()
    }
    unsent = () => socket.writableLength
    close = () => socket.destroy()
  }
  let batch: unknown[] = []
  let batchBytes = 0
  let scheduled = false
  let waiters: (() => void)[] = []
  const written = (): void => {
    if (waiters.length > 0 && unsent() + batchBytes < LOW_WATER_MARK_BYTES) {
      const w = waiters
      waiters = []
      for (const resolve of w) resolve()
    }
  }
  const flush = (): void => {
    scheduled = false
    if (batch.length === 0) return
    const frame = packr.pack(batch)
    batch = []
    batchBytes = 0
    write(frame, written)
  }
  return {
    enqueue(message, sizeBytes) {
      batch.push(message)
      batchBytes += sizeBytes
      if (batchBytes >= FLUSH_THRESHOLD_BYTES) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    get busy() {
      return unsent() + batchBytes >= HIGH_WATER_MARK_BYTES
    },
    drained() {
      if (unsent() + batchBytes < LOW_WATER_MARK_BYTES) return Promise.resolve()
      return new Promise((resolve) => waiters.push(resolve))
    },
    close,
  }
}
