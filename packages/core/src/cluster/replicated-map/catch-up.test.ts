import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { createMessageCodec } from '../../codec.ts'
import { createNetwork } from '../../testing/in-memory-network.ts'
import { childHashes, compareRanges, decodeRangeHashShift, decodeVersions, decodeWant, encodeWant, roundHashShift } from './catch-up.ts'
import { firstChild, LEAF_DEPTH } from './range-digest.ts'
import type { RangeDigest } from './range-digest.ts'
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

  it('compares the low 24 bits of range hashes in one round and the high 24 in the next, so a chance match does not last', () => {
    // Two replicas whose hash of the root's first child differs only in its top 8 bits: equal in the low 24.
    const child = firstChild(0)
    const digestOf = (first: number): RangeDigest => ({ hash: (node: number) => (node === child ? first : 0), count: () => 100 }) as unknown as RangeDigest
    const mine = { digest: digestOf(0x12abcdef | 0) }
    const peer = digestOf(0x34abcdef | 0)
    expect(compareRanges(mine, [0], childHashes(peer, [0], 0), 0)).toEqual({ descend: [], settle: [] })
    expect(compareRanges(mine, [0], childHashes(peer, [0], 8), 8)).toEqual({ descend: [child], settle: [] })
    // Each hash is three bytes on the wire either way: the high ones of 0x34abcdef are 0x34abcd.
    expect([...childHashes(peer, [0], 8).subarray(0, 3)]).toEqual([0xcd, 0xab, 0x34])
    expect([roundHashShift(1), roundHashShift(2), roundHashShift(3)]).toEqual([0, 8, 0])
    // A step without a shift (from a peer of an earlier version) means the low bits; anything but 0 or 8 is refused.
    expect([undefined, 0, 8, 16, '8'].map(decodeRangeHashShift)).toEqual([0, 0, 8, undefined, undefined])
  })

  it('sends key hashes as their low 16 bits in a leaf range and whole in an inner one, and reads them back', () => {
    const firstLeaf = (4 ** LEAF_DEPTH - 1) / 3
    const leaf = firstLeaf + 0xabcd
    const inner = 5
    const leafHashes = [0xabcd0001, 0xabcdfffe]
    const innerHashes = [0x12345678]
    const want = encodeWant([inner, leaf], [innerHashes, leafHashes])
    expect(want.hashes.length).toBe(4 + 2 * 2)
    expect(decodeWant(want)).toEqual({ nodes: [inner, leaf], keys: [innerHashes, leafHashes] })
    expect(decodeWant({ ...want, hashes: want.hashes.subarray(1) })).toMatch(/2 bytes per key in a leaf range/)
    // A versions step: per record the hash (4 or 2 bytes), then varints of wall less base, counter and writer index.
    const records = Buffer.from([0x12, 0x34, 0x56, 0x78, 1, 0, 0, 0x00, 0x01, 2, 3, 0])
    const step = decodeVersions({ nodes: [inner, leaf - inner], writers: ['a@h'], base: 100, counts: [1, 1], records })
    expect(step).toEqual({ nodes: [inner, leaf], writers: ['a@h'], lists: [[0x12345678, 101, 0, 0], [0xabcd0001, 102, 3, 0]] })
  })
})
