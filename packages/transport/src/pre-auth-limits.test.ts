/**
 * What a socket that has not proven the cookie can make a node hold: a bounded number of bytes, and a pending
 * handshake slot only while it is doing a handshake. Real sockets on loopback.
 */
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from './wire/close-codes.ts'
import { logged, nextEvent, testNode, until } from './test-support/nodes.ts'
import { rawPeer } from './test-support/raw-peer.ts'
import { rawSocket } from './test-support/raw-socket.ts'
import { UNAUTHENTICATED_BYTES } from './node/unauthenticated-bytes.ts'

describe('a socket before authentication', () => {
  it('is destroyed once it sends more than UNAUTHENTICATED_BYTES of an unfinished frame', async () => {
    // A long handshake timeout: only the byte limit can end these sockets within the test.
    const a = await testNode('a', { handshakeTimeoutMs: 60_000, helloTimeoutMs: 60_000 })
    const raw = await rawSocket(a.node.url)
    // Most of a 4 MiB frame, never finished: ws would buffer all of it for a socket that never authenticated.
    raw.frameHeader(4 * 1024 * 1024 - 16)
    for (let i = 0; i < 48; i++) raw.socket.write(Buffer.alloc(64 * 1024, i))
    await raw.closed
    expect(a.node.stats().connectionsOversized).toBe(1)
    expect(logged(a.log, 'unauthenticated socket sent too much')[0]).toMatchObject({ reason: expect.stringContaining(`${UNAUTHENTICATED_BYTES}`) })
    expect(a.node.stats().pendingHandshakes).toBe(0)
  })

  it('lifts the limit once the peer is authenticated: large messages flow after the handshake', async () => {
    const a = await testNode('a')
    const b = await testNode('b')
    const got = new Promise<number>((resolve) => {
      a.node.system.register('sink', a.node.system.spawn(async (ctx) => resolve(((await ctx.receive()) as Buffer).length)))
    })
    await b.node.connect({ name: a.node.name, url: a.node.url })
    b.node.system.send({ name: 'sink', node: a.node.name }, Buffer.alloc(3 * 1024 * 1024, 7))
    expect(await got).toBe(3 * 1024 * 1024)
    expect(a.node.stats().connectionsOversized + b.node.stats().connectionsOversized).toBe(0)
  })

  it('cannot hold the door shut by idling: a legitimate node still connects while idle sockets take every slot', async () => {
    const a = await testNode('a', { maxPendingHandshakes: 8, handshakeTimeoutMs: 30_000 })
    const b = await testNode('b')
    // One source keeps every slot taken with sockets that never say hello, reopening each as it closes.
    let open = true
    const idle = async (): Promise<void> => {
      while (open) {
        const peer = await rawPeer(a.node.url).catch(() => undefined)
        if (peer === undefined) continue
        await peer.closed
      }
    }
    const holders = Array.from({ length: 12 }, () => idle())
    await until(() => a.node.stats().pendingHandshakes >= 8, 'the idle sockets to take every slot')
    for (let i = 0; i < 5; i++) {
      await b.node.connect({ name: a.node.name, url: a.node.url })
      expect(a.node.nodes()).toEqual([b.node.name])
      const down = nextEvent(a.node, 'nodedown')
      b.node.disconnect(a.node.name)
      await down
    }
    open = false
    expect(a.node.stats().connectionsEvicted).toBeGreaterThan(0)
    await Promise.all(holders.map((h) => h.catch(() => undefined)))
  })

  it('closes an accepted socket that sends no hello within helloTimeoutMs, long before the handshake timeout', async () => {
    const a = await testNode('a', { handshakeTimeoutMs: 60_000, helloTimeoutMs: 150 })
    const peer = await rawPeer(a.node.url)
    expect((await peer.closed).code).toBe(CLOSE_CODES.handshakeTimeout)
    expect(a.node.stats().pendingHandshakes).toBe(0)
  })

  it('keeps at most maxPendingHandshakesPerAddress pending from one address, closing its oldest', async () => {
    const a = await testNode('a', { maxPendingHandshakes: 64, maxPendingHandshakesPerAddress: 4, handshakeTimeoutMs: 30_000, helloTimeoutMs: 30_000 })
    const peers = []
    for (let i = 0; i < 6; i++) peers.push(await rawPeer(a.node.url))
    expect((await peers[0]!.closed).code).toBe(CLOSE_CODES.tooManyConnections)
    expect((await peers[1]!.closed).code).toBe(CLOSE_CODES.tooManyConnections)
    expect(a.node.stats().pendingHandshakes).toBe(4)
  })
})
