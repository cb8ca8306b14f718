import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { createMessageCodec } from '../../codec.ts'
import { createNetwork } from '../../testing/in-memory-network.ts'
import { startReplicatedMap } from './replicated-map.ts'

describe('catch-up by range digests', () => {
  it('after a partition, moves only the keys that changed, in fewer bytes than twice their size', async () => {
    const net = createNetwork({ strictMessages: false })
    const a = net.addNode('a@h')
    const b = net.addNode('b@h')
    const ma = startReplicatedMap<Buffer>(a)
    const mb = startReplicatedMap<Buffer>(b)
    const value = (i: number, round: number): Buffer => Buffer.alloc(100, (i + round) & 0xff)
    for (let i = 0; i < 20_000; i++) ma.set(`key:${i}`, value(i, 0))
    await net.settle()
    expect(mb.size).toBe(20_000)

    // Disjoint keys (a even, b odd): each side receives exactly what the other changed.
    net.partition('a@h', 'b@h')
    await net.clock.advance(10)
    let changedBytes = 0
    const codec = createMessageCodec()
    for (let i = 0; i < 150; i++) ma.set(`key:${i * 194}`, value(i, 1))
    for (let i = 0; i < 50; i++) mb.set(`key:${i * 202 + 1}`, value(i, 2))
    for (let i = 0; i < 150; i++) changedBytes += Buffer.byteLength(`key:${i * 194}`) + 100
    for (let i = 0; i < 50; i++) changedBytes += Buffer.byteLength(`key:${i * 202 + 1}`) + 100

    // What each map actor receives once the partition heals: the entries, and the bytes of every catch-up step.
    const received = { entries: { 'a@h': 0, 'b@h': 0 } as Record<string, number>, bytes: 0 }
    for (const [system, map] of [[a, ma], [b, mb]] as const) {
      system.trace((r) => {
        if (r.type !== 'receive' || !r.pid.equals(map.pid)) return
        const msg = r.msg as { t?: string; count?: number }
        if (msg.t === 'delta') received.entries[system.node]! += msg.count!
        if (msg.t === 'delta' || msg.t === 'ranges' || msg.t === 'versions' || msg.t === 'want') received.bytes += codec.encode(msg).length
      })
    }
    net.heal()
    await net.settle()

    expect(received.entries).toEqual({ 'a@h': 50, 'b@h': 150 })
    expect(received.bytes).toBeLessThan(2 * changedBytes)
    const sorted = (entries: Array<[string, Buffer]>): string[] => entries.map(([k, v]) => `${k}=${v.toString('hex')}`).sort()
    expect(sorted(mb.entries())).toEqual(sorted(ma.entries()))
    await net[Symbol.asyncDispose]()
  }, 60_000)
})
