/**
 * A replicated map's large entries over real sockets: replication and catch-up cut their batches in bytes, so values
 * that add up past the transport's `maxMessageBytes` still cross; a `set` over the map's `maxEntryBytes` fails at once;
 * an entry over the transport's limit is logged, not a crash of the map that would clear the node's replica; and a
 * presence, groups or global names snapshot larger than one message goes in parts.
 */
import { startGlobal, startGroups, startPresence, startReplicatedMap } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { logged, testNode, until } from './test-support/nodes.ts'

const KiB = 1024

async function connected(options: Parameters<typeof testNode>[1] = {}): Promise<{ a: Awaited<ReturnType<typeof testNode>>; b: Awaited<ReturnType<typeof testNode>> }> {
  const a = await testNode('a', options)
  const b = await testNode('b')
  await a.node.connect({ name: b.node.name, url: b.node.url })
  return { a, b }
}

describe('replicated map entries against the transport\'s message limit', () => {
  it('replicates 10 MiB of values written in one pass, in batches each under maxMessageBytes', async () => {
    const { a, b } = await connected()
    const ma = startReplicatedMap<Buffer>(a.node.system, { scope: 'big' })
    const mb = startReplicatedMap<Buffer>(b.node.system, { scope: 'big' })
    await until(() => ma.peers().length === 1 && mb.peers().length === 1, 'the maps to find each other')
    for (let i = 0; i < 100; i++) ma.set(`k${i}`, Buffer.alloc(100 * KiB, i))
    await until(() => mb.size === 100, 'every key on the peer')
    expect(mb.get('k99')).toEqual(Buffer.alloc(100 * KiB, 99))
    expect(a.node.system.isAlive(ma.pid)).toBe(true)
    expect(ma.size).toBe(100)
  })

  it('catches a new peer up on a map larger than one message', async () => {
    const a = await testNode('a')
    const b = await testNode('b')
    const ma = startReplicatedMap<Buffer>(a.node.system, { scope: 'big' })
    const mb = startReplicatedMap<Buffer>(b.node.system, { scope: 'big' })
    for (let i = 0; i < 120; i++) ma.set(`k${i}`, Buffer.alloc(100 * KiB, i))
    await a.node.connect({ name: b.node.name, url: b.node.url })
    await until(() => mb.size === 120, 'every key on the new peer', 20_000)
    expect(mb.get('k0')).toEqual(Buffer.alloc(100 * KiB, 0))
    expect(a.node.system.isAlive(ma.pid)).toBe(true)
  })

  it('refuses a set over maxEntryBytes, naming the sizes, and stores nothing', async () => {
    const { node } = await testNode('a')
    const map = startReplicatedMap<unknown>(node.system, { scope: 'small', maxEntryBytes: 1024 })
    const over = (value: unknown): void => {
      expect(() => map.set('k', value)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION', message: expect.stringMatching(/at most 1024 bytes together.*maxEntryBytes.*these take \d+/) }))
    }
    over(Buffer.alloc(1024))
    over('€'.repeat(400)) // 400 characters, 1,200 bytes of UTF-8
    over({ text: 'x'.repeat(1100) })
    expect(map.has('k')).toBe(false)
    // At the limit, with the key's byte counted: 'k' and 1,023 bytes.
    map.set('k', Buffer.alloc(1023))
    map.set('k2', 'x'.repeat(1000))
    expect(map.size).toBe(2)
    expect(() => startReplicatedMap(node.system, { scope: 'other', maxEntryBytes: 100 })).toThrow(/invalid option maxEntryBytes/)
  })

  it('logs an entry over the transport\'s maxMessageBytes and still sends the others, its replica intact', async () => {
    const { a, b } = await connected({ maxMessageBytes: 64 * KiB })
    const ma = startReplicatedMap<Buffer>(a.node.system, { scope: 'limit' })
    const mb = startReplicatedMap<Buffer>(b.node.system, { scope: 'limit' })
    await until(() => ma.peers().length === 1 && mb.peers().length === 1, 'the maps to find each other')
    ma.set('gone', Buffer.from('g'))
    await until(() => mb.has('gone'), 'a first key on the peer')
    // One pass: the batch with the big entry also carries a delete, which the peer must still acknowledge.
    ma.set('before', Buffer.from('b'))
    ma.delete('gone')
    ma.set('big', Buffer.alloc(100 * KiB, 1))
    ma.set('after', Buffer.from('a'))
    await until(() => mb.has('before') && mb.has('after') && !mb.has('gone'), 'the entries around the big one on the peer')
    expect(mb.has('big')).toBe(false)
    // Collected by the peer's acknowledgement, not by age (tombstoneTtlMs is ten minutes).
    await until(() => ma.stats().tombstones === 0 && mb.stats().tombstones === 0, 'the delete\'s tombstones collected')
    // Again with the big entry last in its batch: the acknowledgement number must not ride on the one that fails.
    ma.set('gone2', Buffer.from('g'))
    await until(() => mb.has('gone2'), 'a second key on the peer')
    ma.delete('gone2')
    ma.set('big2', Buffer.alloc(100 * KiB, 2))
    await until(() => !mb.has('gone2'), 'the second delete on the peer')
    await until(() => ma.stats().tombstones === 0 && mb.stats().tombstones === 0, 'the second delete\'s tombstones collected')
    const records = logged(a.log, 'a replicated map entry is too large to send to a peer; lower maxEntryBytes below maxMessageBytes')
    expect(records.map((r) => r['key'])).toEqual(['big', 'big2'])
    expect(a.node.system.isAlive(ma.pid)).toBe(true)
    expect(ma.get('big')).toEqual(Buffer.alloc(100 * KiB, 1))
    ma.set('later', Buffer.from('l'))
    await until(() => mb.has('later'), 'a later write on the peer')
  })
})

describe('presence snapshots against the transport\'s message limit', () => {
  it('sends a snapshot larger than maxMessageBytes in parts, and the tracker keeps its entries', async () => {
    const limit = { maxMessageBytes: 2 * 1024 * KiB }
    const a = await testNode('a', limit)
    const b = await testNode('b', limit)
    const pa = startPresence(a.node.system, { scope: 'big' })
    const pb = startPresence(b.node.system, { scope: 'big' })
    const pid = a.node.system.spawn(async (ctx) => {
      await ctx.receive(() => false)
    })
    // 40 entries of 60 KiB each: 2.4 MB, over the 2 MiB both nodes accept in one message.
    for (let i = 0; i < 40; i++) pa.track(pid, 'room', `user${i}`, { blob: Buffer.alloc(60 * KiB, i) })
    await a.node.connect({ name: b.node.name, url: b.node.url })
    await until(() => pb.list('room').length === 40, 'every entry on the new peer', 20_000)
    expect(a.node.system.isAlive(pa.pid)).toBe(true)
    expect(pa.list('room')).toHaveLength(40)
  })
})

describe('group snapshots against the transport\'s message limit', () => {
  it('sends a node\'s members in parts of a quarter of maxMessageBytes, one group split across them', async () => {
    const limit = { maxMessageBytes: 16 * KiB }
    const a = await testNode('a', limit)
    const b = await testNode('b', limit)
    const ga = startGroups(a.node.system, { scope: 'many' })
    const gb = startGroups(b.node.system, { scope: 'many' })
    const pids = Array.from({ length: 2000 }, () =>
      a.node.system.spawn(async (ctx) => {
        await ctx.receive(() => false)
      }),
    )
    // About 50 KB of pids in one group, and a few in another: over three times what one message may carry.
    ga.join('room', pids)
    ga.join('small', pids.slice(0, 3))
    await a.node.connect({ name: b.node.name, url: b.node.url })
    await until(() => gb.members('room').length === 2000 && gb.members('small').length === 3, 'every member on the new peer', 20_000)
    expect(a.node.system.isAlive(ga.pid)).toBe(true)
    expect(ga.members('room')).toHaveLength(2000)
    expect(new Set(gb.members('room').map((p) => p.key)).size).toBe(2000)
  })
})

describe('global name snapshots against the transport\'s message limit', () => {
  it('sends a node\'s registrations in parts, and the registry keeps them', async () => {
    const limit = { maxMessageBytes: 16 * KiB }
    const a = await testNode('a', limit)
    const b = await testNode('b', limit)
    const ra = startGlobal(a.node.system)
    const rb = startGlobal(b.node.system)
    const pids = Array.from({ length: 1000 }, () =>
      a.node.system.spawn(async (ctx) => {
        await ctx.receive(() => false)
      }),
    )
    // About 60 KB of registrations: several times what one message may carry.
    for (const [i, pid] of pids.entries()) await ra.register(`worker-${i}`, pid)
    await a.node.connect({ name: b.node.name, url: b.node.url })
    await until(() => rb.registered().length === 1000, 'every name on the new peer', 20_000)
    expect(rb.whereis('worker-999')?.equals(pids[999]!)).toBe(true)
    expect(a.node.system.isAlive(ra.pid)).toBe(true)
  })
})
