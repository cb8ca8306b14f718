/** The masking key of the frames a node sends on a connection it dialled (the `maskFrames` option), read off the wire. */
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { testNode, track } from './test-support/nodes.ts'

/** A ws server that resolves with the mask bit and key of the first frame a client sends, read from the raw socket. */
async function firstFrameMask(): Promise<{ url: string; mask: Promise<{ masked: boolean; key: number[] }> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  track({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const mask = new Promise<{ masked: boolean; key: number[] }>((resolve) => {
    server.once('connection', (ws, request) => {
      ws.on('error', () => undefined)
      let bytes = Buffer.alloc(0)
      // ws attaches its own reader to the socket; this listener sees the same bytes, unparsed.
      request.socket.on('data', (data: Buffer) => {
        bytes = Buffer.concat([bytes, data])
        const length = (bytes[1] as number) & 0x7f
        const keyAt = length === 127 ? 10 : length === 126 ? 4 : 2
        if (bytes.length < keyAt + 4) return
        resolve({ masked: ((bytes[1] as number) & 0x80) !== 0, key: [...bytes.subarray(keyAt, keyAt + 4)] })
      })
    })
  })
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, mask }
}

describe('maskFrames', () => {
  it('sends frames with a zero key by default, so ws sends the bytes as they are', async () => {
    const { node } = await testNode('a')
    const { url, mask } = await firstFrameMask()
    node.connect({ name: 'listener@127.0.0.1', url }).catch(() => undefined)
    expect(await mask).toEqual({ masked: true, key: [0, 0, 0, 0] })
  })

  it('masks frames with a random key when maskFrames is on', async () => {
    const { node } = await testNode('a', { maskFrames: true })
    const { url, mask } = await firstFrameMask()
    node.connect({ name: 'listener@127.0.0.1', url }).catch(() => undefined)
    const { masked, key } = await mask
    expect(masked).toBe(true)
    expect(key).not.toEqual([0, 0, 0, 0]) // a random key is zero once in 2^32 connections
  })
})
