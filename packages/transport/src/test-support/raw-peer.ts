/**
 * A hand-driven peer for hostile-input tests: a bare `ws` client that runs (or skips) the handshake and then writes
 * whatever bytes the test gives it. Not part of the build.
 */
import { createMessageCodec } from '@cohort/core'
import { WebSocket } from 'ws'
import { ClientHandshake } from '../connection/handshake.ts'
import { decodeHandshake, encodeHandshake } from '../wire/handshake-codec.ts'
import { writeFrame } from '../wire/wire-codec.ts'
import { track } from './nodes.ts'
import { wireForm } from './wire-form.ts'

const codec = createMessageCodec()

export interface RawPeer {
  ws: WebSocket
  /** Resolves with the close code and reason once the socket closes. */
  closed: Promise<{ code: number; reason: string }>
  sendRaw(bytes: Buffer | string, binary?: boolean): void
  /** Sends messages as one well-formed frame. */
  sendFrame(...messages: unknown[]): void
}

/** Opens a socket to `url`; with `cookie`, completes the handshake as node `name` first. */
export async function rawPeer(url: string, options: { name?: string; cookie?: string; creation?: number } = {}): Promise<RawPeer> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  track({ close: async () => ws.terminate() })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
  ws.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  if (options.cookie !== undefined) {
    const name = options.name ?? 'raw@127.0.0.1'
    const hs = new ClientHandshake({ name, creation: options.creation ?? 1, url: 'ws://127.0.0.1:1', hidden: false, cookie: options.cookie }, undefined)
    const next = (): Promise<unknown> => new Promise((resolve) => ws.once('message', (d) => resolve(decodeHandshake(d as Buffer))))
    let reply = next()
    ws.send(encodeHandshake(hs.hello()))
    const challenge = await reply
    reply = next()
    ws.send(encodeHandshake(hs.challenge(challenge)))
    hs.accept(await reply)
  }
  return {
    ws,
    closed,
    sendRaw: (bytes, binary = true) => ws.send(bytes, { binary }),
    sendFrame: (...messages) => {
      const encoded = messages.map((m) => codec.encode(wireForm(m)))
      ws.send(writeFrame(encoded, encoded.length, encoded.reduce((n, e) => n + e.length, 0)))
    },
  }
}
