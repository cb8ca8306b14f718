/**
 * A WebSocket spoken by hand over a plain TCP socket, for tests that must send what no WebSocket library would: half
 * a frame, a frame header announcing megabytes, nothing at all. Not part of the build.
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { track } from './nodes.ts'
import { wsFrame, wsFrameHeader } from './ws-frame.ts'

export interface RawSocket {
  socket: Socket
  /** Resolves once the socket is closed (by either side). */
  closed: Promise<void>
  /** Writes a masked binary frame header announcing `length` payload bytes (the payload is the caller's to write). */
  frameHeader(length: number): void
  /** Writes one whole masked binary frame. */
  frame(payload: Buffer): void
}

/** Opens a TCP connection to `url` (ws://host:port) and completes the HTTP upgrade. */
export async function rawSocket(url: string): Promise<RawSocket> {
  const u = new URL(url)
  const socket = connect(Number(u.port), u.hostname)
  socket.on('error', () => undefined)
  track({ close: async () => void socket.destroy() })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('error', reject)
  })
  socket.write(
    `GET / HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  await new Promise<void>((resolve, reject) => {
    let head = ''
    const onData = (d: Buffer): void => {
      head += d.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      if (head.startsWith('HTTP/1.1 101')) resolve()
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`))
    }
    socket.on('data', onData)
  })
  return {
    socket,
    closed,
    frameHeader: (length) => void socket.write(wsFrameHeader(length, true)),
    frame: (payload) => void socket.write(wsFrame(payload, true)),
  }
}
