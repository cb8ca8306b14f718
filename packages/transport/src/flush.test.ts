/**
 * Distribution.flush over real sockets: what a caller asks to leave now is written in its own turn, not once the
 * event loop's pass is over; and the replicated map's `flush`, which uses it and yields to backpressure.
 */
import { startReplicatedMap } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { nameOf, testNode, until } from './test-support/nodes.ts'
import type { TestNode } from './test-support/nodes.ts'

/** Two connected nodes; `bytesOut()` is what `a` has written to `b` so far. */
async function pair(): Promise<{ a: TestNode; b: TestNode; bytesOut: () => number }> {
  const a = await testNode('a')
  const b = await testNode('b')
  await a.node.connect({ name: b.node.name, url: b.node.url })
  const bytesOut = (): number => a.node.stats().peers.find((p) => p.node === b.node.name)?.bytesOut ?? 0
  return { a, b, bytesOut }
}

describe('Distribution.flush', () => {
  it('writes what is queued for a node in the caller\'s turn', async () => {
    const { a, b, bytesOut } = await pair()
    const got: unknown[] = []
    const sink = b.node.system.spawn(async (ctx) => {
      for (;;) got.push(await ctx.receive())
    })
    const before = bytesOut()
    a.node.system.send(sink, 'first')
    // Queued, not written: a send leaves at the end of the pass.
    expect(bytesOut()).toBe(before)
    a.node.distribution.flush?.(b.node.name)
    expect(bytesOut()).toBeGreaterThan(before)
    a.node.system.send(sink, 'second')
    await until(() => got.length === 2, 'both messages')
    expect(got).toEqual(['first', 'second'])
  })

  it('does nothing for a node it has no connection to', async () => {
    const { a } = await pair()
    expect(() => a.node.distribution.flush?.(nameOf('nowhere'))).not.toThrow()
  })
})

describe('ReplicatedMap.flush over the transport', () => {
  it('writes the pending changes to the peer before it returns, and the peer applies them', async () => {
    const { a, b, bytesOut } = await pair()
    const ma = startReplicatedMap<string>(a.node.system, { scope: 'flush' })
    const mb = startReplicatedMap<string>(b.node.system, { scope: 'flush' })
    await until(() => ma.peers().length === 1 && mb.peers().length === 1, 'the maps to find each other')
    const before = bytesOut()
    ma.set('k', 'v')
    expect(bytesOut()).toBe(before)
    ma.flush()
    expect(bytesOut()).toBeGreaterThan(before)
    expect(ma.stats().pendingByPeer).toEqual({ [b.node.name]: 0 })
    await until(() => mb.get('k') === 'v', 'the write on the peer')
  })

  it('stops at a connection that is backed up, and the map sends the rest once it drains', async () => {
    const a = await testNode('a', { highWaterMarkBytes: 4096, lowWaterMarkBytes: 1024 })
    const b = await testNode('b')
    await a.node.connect({ name: b.node.name, url: b.node.url })
    const ma = startReplicatedMap<Buffer>(a.node.system, { scope: 'flush', batchSize: 10 })
    const mb = startReplicatedMap<Buffer>(b.node.system, { scope: 'flush' })
    await until(() => ma.peers().length === 1 && mb.peers().length === 1, 'the maps to find each other')
    for (let i = 0; i < 100; i++) ma.set(`k${i}`, Buffer.alloc(1024, i))
    ma.flush()
    // The first batch (10 KiB) took the connection over its high-water mark: the map's actor is paused, and the other
    // 90 keys wait in the outbox, one entry each, instead of piling up in the transport.
    expect(ma.stats().pendingByPeer).toEqual({ [b.node.name]: 90 })
    ma.flush()
    expect(ma.stats().pendingByPeer).toEqual({ [b.node.name]: 90 })
    await until(() => mb.size === 100, 'every key on the peer')
    expect(mb.get('k99')).toEqual(Buffer.alloc(1024, 99))
  })
})
