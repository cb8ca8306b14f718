import { Buffer } from 'node:buffer'
import { isDeepStrictEqual } from 'node:util'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createActorSystem } from '../../system/actor-system.ts'
import type { ActorSystem } from '../../system/actor-system.ts'
import { createNetwork } from '../../testing/in-memory-network.ts'
import { createLogSink } from '../../testing/log-sink.ts'
import type { InMemoryNetwork } from '../../testing/in-memory-network.ts'
import { DeltaBatchBuilder } from './delta-batch.ts'
import { Entry } from './entry.ts'
import { replicatedMapActorName, startReplicatedMap } from './replicated-map.ts'
import { ValueBlocks } from './value-blocks.ts'
import type { MapChange, ReplicatedMap, ReplicatedMapOptions } from './replicated-map.ts'

let net: InMemoryNetwork | undefined

afterEach(async () => {
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

function cluster<V = unknown>(names: string[], options: ReplicatedMapOptions = {}): { net: InMemoryNetwork; sys: Record<string, ActorSystem>; m: Record<string, ReplicatedMap<V>> } {
  net = createNetwork()
  const sys: Record<string, ActorSystem> = {}
  const m: Record<string, ReplicatedMap<V>> = {}
  for (const name of names) sys[name] = net.addNode(name)
  for (const name of names) m[name] = startReplicatedMap<V>(sys[name]!, options)
  return { net, sys, m }
}

const sorted = <V>(map: ReplicatedMap<V>): Array<[string, V]> => map.entries().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

describe('replicated map: reads and writes', () => {
  it('applies a set locally at once and on every peer after replication', async () => {
    const { net, m } = cluster<{ n: number }>(['a@h', 'b@h', 'c@h'])
    await net.settle()
    expect(m['a@h']!.peers().sort()).toEqual(['b@h', 'c@h'])
    m['a@h']!.set('k1', { n: 1 })
    expect(m['a@h']!.get('k1')).toEqual({ n: 1 })
    expect(m['b@h']!.get('k1')).toBeUndefined()
    await net.settle()
    for (const n of ['a@h', 'b@h', 'c@h']) {
      expect(m[n]!.get('k1')).toEqual({ n: 1 })
      expect(m[n]!.has('k1')).toBe(true)
      expect(m[n]!.size).toBe(1)
    }
    expect(m['c@h']!.delete('k1')).toBe(true)
    expect(m['c@h']!.delete('k1')).toBe(false)
    await net.settle()
    for (const n of ['a@h', 'b@h', 'c@h']) {
      expect(m[n]!.has('k1')).toBe(false)
      // Every peer acknowledged the delete, so its tombstones are collected without waiting for tombstoneTtlMs.
      expect(m[n]!.stats()).toEqual({ keys: 0, tombstones: 0, bytes: 0, pendingByPeer: expect.any(Object) as unknown })
    }
  })

  it('lists keys and entries by prefix', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h'])
    m['a@h']!.set('user:1', 1)
    m['a@h']!.set('user:2', 2)
    m['a@h']!.set('room:1', 3)
    await net.settle()
    expect(m['b@h']!.keys('user:').sort()).toEqual(['user:1', 'user:2'])
    expect(sorted(m['b@h']!)).toEqual([['room:1', 3], ['user:1', 1], ['user:2', 2]])
    expect(m['b@h']!.entries('room:')).toEqual([['room:1', 3]])
  })

  it('walks the keys with scan: each key live for the whole walk once, however keys change, with no state kept', async () => {
    const { m } = cluster<number>(['a@h'])
    const map = m['a@h']!
    for (let i = 0; i < 3000; i++) map.set(`k:${i}`, i)
    map.set('other', 0)
    const seen: string[] = []
    let cursor = 0
    let steps = 0
    do {
      const step = map.scan(cursor, { count: 25, prefix: 'k:' })
      seen.push(...step.keys)
      cursor = step.cursor
      // Meanwhile: 30 keys deleted (k:0..k:29 after the first step) and 30 added per step for a while.
      if (steps === 0) for (let i = 0; i < 30; i++) map.delete(`k:${i}`)
      if (steps < 10) for (let i = 0; i < 30; i++) map.set(`k:new:${steps}:${i}`, i)
      steps++
    } while (cursor !== 0)
    // Whole ranges at a time: about 25 keys a step, never a key twice, and every key live throughout exactly once.
    expect(steps).toBeGreaterThan(3000 / 50)
    expect(new Set(seen).size).toBe(seen.length)
    const stable = Array.from({ length: 2970 }, (_, i) => `k:${i + 30}`)
    expect(stable.filter((k) => !seen.includes(k))).toEqual([])
    expect(seen.filter((k) => !k.startsWith('k:'))).toEqual([])
    // A cursor is only a position: the same step from two places gives the same keys.
    const again = map.scan(0, { count: 25, prefix: 'k:' })
    expect(map.scan(0, { count: 25, prefix: 'k:' })).toEqual(again)
    expect(map.scan(again.cursor, { count: 25 }).cursor).toBeGreaterThan(again.cursor)
    // Past the last range: done.
    expect(map.scan(1 << 30)).toEqual({ cursor: 0, keys: [] })
    expect(() => map.scan(-1)).toThrow(/invalid option cursor: -1/)
    expect(() => map.scan(0, { count: 0 })).toThrow(/invalid option count: 0/)
    expect(() => map.scan(0, { prefix: 7 as unknown as string })).toThrow(/invalid option prefix/)
  })

  it('carries Buffers as Buffers', async () => {
    const { net, m } = cluster<Buffer>(['a@h', 'b@h'])
    m['a@h']!.set('bin', Buffer.from([0, 1, 2, 255]))
    await net.settle()
    const got = m['b@h']!.get('bin')
    expect(Buffer.isBuffer(got)).toBe(true)
    expect([...got!]).toEqual([0, 1, 2, 255])
    // A read is a copy: writing to it changes nothing stored, and it is no view that would keep the whole received
    // message (or the replica's block) alive, but memory from Node's pool, as Buffer.from's would be (the pool is
    // 8 KiB on Node 20 and 22, 64 KiB from Node 24 on).
    got![0] = 9
    expect([...m['b@h']!.get('bin')!]).toEqual([0, 1, 2, 255])
    expect(got!.buffer.byteLength).toBe(Buffer.allocUnsafe(1).buffer.byteLength)
  })

  it('refuses a value that cannot cross a node at set, storing nothing', async () => {
    const { m } = cluster(['a@h'])
    expect(() => m['a@h']!.set('f', { fn: () => 1 })).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_SERIALIZABLE', path: 'value.fn' }))
    expect(() => m['a@h']!.set('u', undefined)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION' }))
    expect(() => m['a@h']!.set(42 as unknown as string, 1)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION' }))
    expect(() => m['a@h']!.set('t', 1, { ttlMs: -1 })).toThrow(/ttlMs/)
    expect(m['a@h']!.size).toBe(0)
    // An unpaired surrogate would arrive as U+FFFD: another key (or value) on every peer.
    expect(() => m['a@h']!.set('lone\uD800', 1)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION', message: expect.stringMatching(/surrogate/) as unknown }))
    expect(() => m['a@h']!.set('v', 'x\uDC00')).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION' }))
    expect(() => m['a@h']!.delete('lone\uD800')).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION' }))
    // Inside a value too, keys of objects and Maps included, with the path to it.
    expect(() => m['a@h']!.set('n', { s: 'x\uD800y' })).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_SERIALIZABLE', path: 'value.s' }))
    expect(() => m['a@h']!.set('n', { ['k\uDC00']: 1 })).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_SERIALIZABLE', path: 'value' }))
    expect(() => m['a@h']!.set('n', [new Map([['\uD800', 1]])])).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_SERIALIZABLE', path: 'value[0].<key>' }))
    m['a@h']!.set('pair \uD83D\uDE00', 'ok \uD83D\uDE00')
    m['a@h']!.set('nested pair', { s: 'ok \uD83D\uDE00' })
    expect(m['a@h']!.size).toBe(2)
  })

  it('reads and writes a key given as Latin-1 bytes exactly as the same key given as a string', async () => {
    const { net, m } = cluster<string>(['a@h', 'b@h'])
    const a = m['a@h']!
    // Every byte value, inside a larger buffer, so the range is what picks the key.
    const keyBytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    const frame = new Uint8Array(300)
    frame.set(keyBytes, 20)
    const key = Buffer.from(keyBytes).toString('latin1')
    expect(a.getLatin1(frame, 20, 276)).toBeUndefined()
    a.setLatin1(frame, 20, 276, 'new')
    expect(a.get(key)).toBe('new')
    expect(a.keys()).toEqual([key])
    a.set(key, 'by string')
    expect(a.getLatin1(frame, 20, 276)).toBe('by string')
    a.setLatin1(frame, 20, 276, 'again', { ttlMs: 60_000 })
    expect(a.size).toBe(1)
    expect(a.expiresAt(key)).toBeGreaterThan(0)
    // A held tombstone is found by its bytes and written over, as set does.
    a.delete(key)
    expect(a.getLatin1(frame, 20, 276)).toBeUndefined()
    a.setLatin1(frame, 20, 276, 'after delete')
    // A whole buffer, the empty key, and a key one byte shorter that is another key.
    a.setLatin1(Uint8Array.of(0x6b), 0, 1, 'k')
    a.setLatin1(frame, 5, 5, 'empty')
    expect(a.getLatin1(frame, 20, 275)).toBeUndefined()
    await net.settle()
    expect(sorted(m['b@h']!)).toEqual([['', 'empty'], ['k', 'k'], [key, 'after delete']].sort(([x], [y]) => (x! < y! ? -1 : 1)))
    expect(m['b@h']!.getLatin1(Uint8Array.of(0x6b))).toBe('k')
  })

  it('refuses a Latin-1 key range outside its bytes, storing nothing', () => {
    const { m } = cluster(['a@h'])
    const bytes = Uint8Array.of(1, 2, 3)
    expect(() => m['a@h']!.getLatin1(bytes, 2, 4)).toThrow(new RangeError('key range [2, 4) is not inside the 3 bytes given'))
    expect(() => m['a@h']!.setLatin1(bytes, -1, 2, 1)).toThrow(RangeError)
    expect(() => m['a@h']!.setLatin1(bytes, 2, 1, 1)).toThrow(RangeError)
    expect(() => m['a@h']!.setLatin1(bytes, 0.5, 1, 1)).toThrow(RangeError)
    expect(() => m['a@h']!.setLatin1('abc' as unknown as Uint8Array, 0, 1, 1)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION' }))
    expect(() => m['a@h']!.getLatin1(undefined as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION', message: expect.stringMatching(/bytes/) as unknown }))
    expect(() => m['a@h']!.setLatin1(bytes, 0, 1, undefined)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION' }))
    expect(m['a@h']!.size).toBe(0)
  })

  it('takes a Latin-1 key to the end of its bytes when end is left out, as getLatin1 does', () => {
    const { m } = cluster<string>(['a@h'])
    m['a@h']!.setLatin1(Buffer.from('GET user:42'), 4, undefined as unknown as number, 'x')
    expect(m['a@h']!.keys()).toEqual(['user:42'])
    expect(m['a@h']!.getLatin1(Buffer.from('GET user:42'), 4)).toBe('x')
  })

  it('refuses a ttlMs past about a hundred years, which peers could not hold, and replicates one below it', async () => {
    const { net, m } = cluster<string>(['a@h', 'b@h'])
    for (const ttlMs of [1e300, Number.MAX_SAFE_INTEGER, Infinity, NaN, 0]) {
      expect(() => m['a@h']!.set('k', 'v', { ttlMs })).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION', message: expect.stringMatching(/ttlMs.*at most 3155760000000 \(100 years\)/) }))
    }
    expect(m['a@h']!.has('k')).toBe(false)
    m['a@h']!.set('before', 'b')
    m['a@h']!.set('k', 'v', { ttlMs: 50 * 365 * 24 * 3600 * 1000 })
    m['a@h']!.set('after', 'a')
    await net.settle()
    expect(m['b@h']!.keys().sort()).toEqual(['after', 'before', 'k'])
    expect(m['b@h']!.expiresAt('k')).toBe(m['a@h']!.expiresAt('k'))
  })

  it('validates options and refuses a second start of one scope', () => {
    net = createNetwork()
    const a = net.addNode('a@h')
    expect(() => startReplicatedMap(a, { batchSize: 0 })).toThrow(/batchSize/)
    expect(() => startReplicatedMap(a, { scope: '' })).toThrow(/scope/)
    startReplicatedMap(a)
    expect(() => startReplicatedMap(a)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NAME_TAKEN' }))
  })
})

describe('replicated map: conflicts', () => {
  it('concurrent writes to one key end with the same value everywhere: the later version, node name breaking ties', async () => {
    const { net, m } = cluster<string>(['a@h', 'b@h', 'c@h'])
    await net.settle()
    // Same virtual millisecond on every node: the counters are equal, so the node name decides.
    m['a@h']!.set('k', 'from a')
    m['c@h']!.set('k', 'from c')
    m['b@h']!.set('k', 'from b')
    await net.settle()
    for (const n of ['a@h', 'b@h', 'c@h']) expect(m[n]!.get('k')).toBe('from c')
    await net.clock.advance(5)
    m['a@h']!.set('k', 'later from a')
    await net.settle()
    for (const n of ['a@h', 'b@h', 'c@h']) expect(m[n]!.get('k')).toBe('later from a')
  })

  it('a delete wins over an older set and loses to a newer one', async () => {
    const { net, m } = cluster<string>(['a@h', 'b@h'])
    m['a@h']!.set('k', 'v1')
    await net.settle()
    net.partition('a@h', 'b@h')
    await net.clock.advance(10)
    m['b@h']!.delete('k')
    await net.clock.advance(10)
    m['a@h']!.set('j', 'v')
    m['b@h']!.set('j', 'v2')
    net.heal()
    await net.settle()
    for (const n of ['a@h', 'b@h']) {
      expect(m[n]!.has('k')).toBe(false)
      expect(m[n]!.get('j')).toBe('v2')
    }
  })
})

describe('replicated map: subscribe', () => {
  it('delivers local and remote changes with their origin', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h'])
    const seenA: MapChange<number>[] = []
    const seenB: MapChange<number>[] = []
    m['a@h']!.subscribe((c) => seenA.push(c))
    const off = m['b@h']!.subscribe((c) => seenB.push(c))
    m['a@h']!.set('x', 1)
    m['a@h']!.set('y', 2, { ttlMs: 100 })
    await net.settle()
    m['b@h']!.delete('x')
    await net.settle()
    await net.clock.advance(100)
    expect(seenA).toEqual([
      { type: 'set', key: 'x', value: 1, origin: 'a@h' },
      { type: 'set', key: 'y', value: 2, origin: 'a@h' },
      { type: 'delete', key: 'x', origin: 'b@h' },
      { type: 'expire', key: 'y', origin: 'a@h' },
    ])
    expect(seenB).toEqual(seenA)
    off()
    m['a@h']!.set('z', 3)
    await net.settle()
    expect(seenB).toHaveLength(4)
  })

  it('with local: false delivers only the changes whose origin is another node, and rejects a non-boolean', async () => {
    const { net, m } = cluster<Buffer>(['a@h', 'b@h'])
    const remote: MapChange<Buffer>[] = []
    const every: string[] = []
    const offRemote = m['a@h']!.subscribe((c) => remote.push(c), { local: false })
    m['a@h']!.subscribe((c) => every.push(`${c.type} ${c.key} ${c.origin}`))
    m['a@h']!.set('mine', Buffer.from('a'), { ttlMs: 50 })
    m['b@h']!.set('theirs', Buffer.from('b'))
    await net.settle()
    m['a@h']!.delete('theirs')
    await net.clock.advance(50)
    m['b@h']!.delete('mine')
    await net.settle()
    // The expiry of a key this node wrote is this node's change too (its origin); a peer's delete of it is not.
    expect(remote.map((c) => [c.type, c.key, c.origin, c.value?.toString()])).toEqual([['set', 'theirs', 'b@h', 'b']])
    expect(every).toEqual(['set mine a@h', 'set theirs b@h', 'delete theirs a@h', 'expire mine a@h'])
    offRemote()
    m['b@h']!.set('more', Buffer.from('c'))
    await net.settle()
    expect(remote).toHaveLength(1)
    expect(() => m['a@h']!.subscribe(() => {}, { local: 'no' as unknown as boolean })).toThrow(/local/)
    expect(() => m['a@h']!.subscribe(() => {}, { local: null as unknown as boolean })).toThrow(/local/)
  })

  it('a listener may write the key a peer\'s delete just removed: the new value stays, counts and replicates', async () => {
    const { net, m } = cluster<string>(['a@h', 'b@h'])
    m['b@h']!.subscribe((c) => {
      if (c.type === 'delete' && c.key === 'k') m['b@h']!.set('k', 'restored by b')
    })
    m['a@h']!.set('k', 'v1')
    await net.settle()
    m['a@h']!.delete('k')
    await net.settle()
    for (const n of ['a@h', 'b@h']) {
      expect(m[n]!.get('k')).toBe('restored by b')
      expect(m[n]!.keys()).toEqual(['k'])
      expect(m[n]!.stats()).toMatchObject({ keys: 1, tombstones: 0 })
    }
    // And it does not expire later: no collection of the old tombstone was left scheduled on the live key.
    await net.clock.advance(700_000)
    await net.settle()
    expect(m['b@h']!.get('k')).toBe('restored by b')
  })

  it('a listener that throws does not stop the others or the map', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h'])
    const seen: string[] = []
    m['b@h']!.subscribe(() => {
      throw new Error('listener bug')
    })
    m['b@h']!.subscribe((c) => seen.push(c.key))
    m['a@h']!.set('x', 1)
    m['a@h']!.set('y', 1)
    await net.settle()
    expect(seen).toEqual(['x', 'y'])
  })
})

describe('replicated map: TTL and tombstones', () => {
  it('sleeps until a TTL longer than a Node timer holds (24.8 days), instead of sweeping every millisecond', async () => {
    // The real clock, with Vitest's fake setTimeout: it fires a delay past 2^31 - 1 ms after 1 ms, as Node does. The
    // map's sweep timer for a 30-day key then fired at once, swept nothing, and armed itself again, for as long as
    // the key lived: about an eighth of a vCPU on an idle node.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const sys = createActorSystem({ node: 'ttl@h' })
    try {
      let sweeps = 0
      sys.trace((record) => {
        if (record.type === 'receive' && (record.msg as { t?: unknown } | null)?.t === 'sweep') sweeps++
      })
      const map = startReplicatedMap<string>(sys)
      map.set('session', 'v', { ttlMs: 30 * 24 * 3600 * 1000 })
      for (let i = 0; i < 20; i++) {
        await vi.advanceTimersByTimeAsync(1)
        await sys.whenIdle()
      }
      expect(sweeps).toBe(0)
      expect(map.get('session')).toBe('v')
    } finally {
      vi.useRealTimers()
      await sys.shutdown()
    }
  })

  it('a TTL key expires on every node at its expiresAt', async () => {
    const { net, m } = cluster<string>(['a@h', 'b@h'])
    await net.clock.advance(1000)
    m['a@h']!.set('t', 'v', { ttlMs: 500 })
    await net.settle()
    expect(m['b@h']!.expiresAt('t')).toBe(1500)
    expect(m['a@h']!.expiresAt('t')).toBe(1500)
    await net.clock.advance(499)
    expect(m['b@h']!.get('t')).toBe('v')
    await net.clock.advance(1)
    for (const n of ['a@h', 'b@h']) {
      expect(m[n]!.get('t')).toBeUndefined()
      expect(m[n]!.expiresAt('t')).toBeUndefined()
      expect(m[n]!.size).toBe(0)
    }
  })

  it('collects the tombstones of a delete on every node once every peer has acknowledged it', async () => {
    const { net, sys, m } = cluster<string>(['a@h', 'b@h', 'c@h'], { tombstoneTtlMs: 3_600_000 })
    m['a@h']!.set('k', 'v')
    m['b@h']!.set('other', 'v')
    await net.settle()
    const seen: string[] = []
    sys['a@h']!.trace((r) => {
      if (r.type === 'receive' && r.pid.equals(m['a@h']!.pid)) seen.push((r.msg as { t?: string }).t ?? '')
    })
    m['a@h']!.delete('k')
    m['b@h']!.delete('other')
    // Before the acknowledgements, every node holds both tombstones.
    await net.settle()
    expect(seen.filter((t) => t === 'ack')).toHaveLength(2)
    const started = net.clock.now()
    for (const n of ['a@h', 'b@h', 'c@h']) expect(m[n]!.stats()).toMatchObject({ keys: 0, tombstones: 0 })
    expect(net.clock.now()).toBe(started)
    // Writes without deletes are not acknowledged.
    seen.length = 0
    m['a@h']!.set('k', 'again')
    await net.settle()
    expect(seen).not.toContain('ack')
    expect(m['c@h']!.get('k')).toBe('again')
  })

  it('names collected tombstones by unsigned fingerprints on the wire, as nodes of every version expect', async () => {
    const { net, sys, m } = cluster<string>(['a@h', 'b@h', 'c@h'], { tombstoneTtlMs: 3_600_000 })
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`)
    for (const k of keys) m['a@h']!.set(k, 'v')
    await net.settle()
    const fps: number[] = []
    sys['b@h']!.trace((r) => {
      if (r.type !== 'receive' || !r.pid.equals(m['b@h']!.pid)) return
      const msg = r.msg as { t?: string; fps?: number[] }
      if (msg.t === 'collect') fps.push(...msg.fps!)
    })
    for (const k of keys) m['a@h']!.delete(k)
    await net.settle()
    expect(fps).toHaveLength(keys.length)
    for (const fp of fps) expect(fp).toBe(fp >>> 0)
    // Half of all fingerprints have the top bit set; among eight, at least one did here.
    expect(fps.some((fp) => fp >= 2 ** 31)).toBe(true)
    for (const n of ['a@h', 'b@h', 'c@h']) expect(m[n]!.stats()).toMatchObject({ keys: 0, tombstones: 0 })
  })

  it('collects tombstones by age after tombstoneTtlMs while a peer that left may come back', async () => {
    const { net, m } = cluster<string>(['a@h', 'b@h', 'c@h'], { tombstoneTtlMs: 1000 })
    m['a@h']!.set('k', 'v')
    await net.settle()
    await net.kill('c@h')
    await net.settle()
    expect(m['a@h']!.peers()).toEqual(['b@h'])
    m['a@h']!.delete('k')
    await net.settle()
    // b acknowledged, but c left less than tombstoneTtlMs ago and may return with its copy: the tombstones stay.
    expect(m['a@h']!.stats().tombstones).toBe(1)
    expect(m['b@h']!.stats().tombstones).toBe(1)
    await net.clock.advance(1000)
    expect(m['a@h']!.stats().tombstones).toBe(0)
    expect(m['b@h']!.stats().tombstones).toBe(0)
  })
})

describe('replicated map: catch-up', () => {
  it('a node that starts later receives the existing data', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h'])
    for (let i = 0; i < 200; i++) m['a@h']!.set(`k${i}`, i)
    await net.settle()
    const late = startReplicatedMap<number>(net.addNode('c@h'))
    await net.settle()
    expect(sorted(late)).toEqual(sorted(m['a@h']!))
    expect(late.size).toBe(200)
  })

  it('both sides of a healed partition converge on what changed on either side', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h', 'c@h'])
    for (let i = 0; i < 1000; i++) m['a@h']!.set(`k${i}`, i)
    await net.settle()
    net.partition('a@h', ['b@h', 'c@h'])
    for (let i = 0; i < 20; i++) m['a@h']!.set(`k${i}`, 100 - i)
    await net.clock.advance(10)
    for (let i = 10; i < 30; i++) m['b@h']!.set(`k${i}`, 1000 + i)
    m['c@h']!.delete('k500')
    m['a@h']!.set('new-on-a', 1)
    net.heal()
    await net.settle()
    const expected = sorted(m['a@h']!)
    expect(expected).toHaveLength(1000)
    expect(m['a@h']!.has('k500')).toBe(false)
    expect(m['a@h']!.get('k15')).toBe(1015)
    expect(m['a@h']!.get('k5')).toBe(95)
    for (const n of ['b@h', 'c@h']) expect(sorted(m[n]!)).toEqual(expected)
  })

  it('a key that expired on one side of a partition expires on the other after the heal, whose value was older', async () => {
    // The side that saw the key expire holds it without its value; the catch-up must still carry that version over.
    const { net, m } = cluster<number | Buffer>(['a@h', 'b@h', 'c@h'], { tombstoneTtlMs: 200, syncIntervalMs: 0 })
    await net.settle()
    m['a@h']!.set('k', Buffer.from('older'))
    net.partition('a@h', ['b@h', 'c@h'])
    m['b@h']!.set('k', 1, { ttlMs: 1 })
    await net.clock.advance(1)
    expect(m['b@h']!.has('k')).toBe(false)
    net.heal()
    await net.settle()
    for (const n of ['a@h', 'b@h', 'c@h']) {
      expect(m[n]!.has('k'), n).toBe(false)
      expect(m[n]!.stats().tombstones, n).toBe(1)
    }
  })

  it('a restarted node catches up', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h'])
    for (let i = 0; i < 300; i++) m['a@h']!.set(`k${i}`, i)
    await net.settle()
    await net.kill('b@h')
    m['a@h']!.set('while-down', 1)
    const b = startReplicatedMap<number>(net.restart('b@h'))
    await net.settle()
    expect(sorted(b)).toEqual(sorted(m['a@h']!))
  })
})

describe('replicated map: knowing a catch-up has ended (caughtUp)', () => {
  it('lists every peer once the first catch-ups end, and drops one that leaves', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h', 'c@h'])
    await net.settle()
    expect(m['a@h']!.caughtUp().sort()).toEqual(['b@h', 'c@h'])
    expect(m['b@h']!.caughtUp().sort()).toEqual(['a@h', 'c@h'])
    expect(m['c@h']!.caughtUp().sort()).toEqual(['a@h', 'b@h'])
    await net.kill('c@h')
    expect(m['a@h']!.caughtUp()).toEqual(['b@h'])
    expect(m['b@h']!.caughtUp()).toEqual(['a@h'])
  })

  it('a restarted node counts a peer as caught up with only once it holds all of that peer\'s data', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h'])
    for (let i = 0; i < 3000; i++) m['a@h']!.set(`k${i}`, i)
    await net.settle()
    await net.kill('b@h')
    const b = startReplicatedMap<number>(net.restart('b@h'))
    // Before every message b's map actor takes: once it says a is caught up with, it holds all of a's data.
    const early: number[] = []
    net.system('b@h').trace((r) => {
      if (r.type === 'receive' && r.pid.equals(b.pid) && b.caughtUp().includes('a@h') && b.size !== 3000) early.push(b.size)
    })
    await net.waitFor(() => b.caughtUp().includes('a@h'))
    expect(early).toEqual([])
    expect(sorted(b)).toEqual(sorted(m['a@h']!))
    await net.waitFor(() => m['a@h']!.caughtUp().includes('b@h'))
  })

  it.each([
    ['both sides changed keys', true],
    // The side that starts the catch-up then ends it on the entries the other sends it: the last share follows them.
    ['only the side that does not start the catch-up changed keys', false],
  ])('after a partition heals, each side says caught up only once it holds what the other changed (%s)', async (_, onBoth) => {
    const { net, m } = cluster<number>(['a@h', 'b@h'], { syncIntervalMs: 0 })
    for (let i = 0; i < 5000; i++) m['a@h']!.set(`k${i}`, i)
    await net.settle()
    net.partition('a@h', 'b@h')
    expect(m['a@h']!.caughtUp()).toEqual([])
    expect(m['b@h']!.caughtUp()).toEqual([])
    // Scattered keys on each side, so the search descends several levels of ranges on both.
    if (onBoth) for (let i = 0; i < 5000; i += 97) m['a@h']!.set(`k${i}`, -i - 100_000)
    await net.clock.advance(5)
    for (let i = 41; i < 5000; i += 89) m['b@h']!.set(`k${i}`, -i - 1)
    m['b@h']!.set('only-on-b', 1)
    const expected = new Map(sorted(m['a@h']!))
    for (const [k, v] of sorted(m['b@h']!)) if (v < 0 || k === 'only-on-b') expected.set(k, v)
    net.heal()
    // Checked before every message either map actor takes (so right after the one before it), and once all is done:
    // a side that says it is caught up with the other holds everything both sides changed.
    const steps: string[] = []
    const early: string[] = []
    const check = (side: string, other: string): void => {
      if (m[side]!.caughtUp().includes(other) && !isDeepStrictEqual(new Map(sorted(m[side]!)), expected)) early.push(`${side} after ${steps.length} steps`)
    }
    for (const [side, other] of [['a@h', 'b@h'], ['b@h', 'a@h']] as const) {
      const pid = m[side]!.pid
      net.system(side).trace((r) => {
        if (r.type !== 'receive' || !r.pid.equals(pid)) return
        check(side, other)
        steps.push((r.msg as { t?: string }).t ?? '')
      })
    }
    await net.waitFor(() => m['a@h']!.caughtUp().includes('b@h') && m['b@h']!.caughtUp().includes('a@h'))
    check('a@h', 'b@h')
    check('b@h', 'a@h')
    expect(early).toEqual([])
    for (const side of ['a@h', 'b@h']) expect(new Map(sorted(m[side]!))).toEqual(expected)
    expect(steps.filter((t) => t === 'ranges').length).toBeGreaterThan(2)
    expect(steps).toContain('settled')
    if (onBoth) expect(steps).toContain('want')
  })

  it('survives catch-up steps and shares with no pid, an odd share, or from a pid that is not a peer', async () => {
    const { net, sys, m } = cluster<number>(['a@h', 'b@h'])
    m['a@h']!.set('k', 1)
    await net.settle()
    const mb = m['b@h']!
    const stranger = sys['a@h']!.spawn({ init: () => undefined, handleInfo: (_msg: unknown, state: undefined) => state })
    const hostile: unknown[] = [
      { t: 'want', nodes: [], counts: [], hashes: Buffer.alloc(0), round: 1, w: 5 },
      { t: 'versions', nodes: [], writers: [], base: 0, counts: [], records: Buffer.alloc(0), round: 1, w: 5 },
      { t: 'ranges', parents: [0], hashes: Buffer.alloc(12, 0xff), round: 1, w: 5 },
      { t: 'settled', round: 1, w: 5 },
      { t: 'settled', peer: 'a@h', round: -1, w: 2 ** 60 },
      { t: 'settled', peer: stranger, round: 1, w: 5 },
      { t: 'caughtup', peer: stranger, round: 1 },
      { t: 'caughtup' },
    ]
    const bounced: unknown[] = []
    sys['b@h']!.trace((r) => {
      if (r.type === 'send' && r.from?.equals(mb.pid) === true && (r.msg as { t?: string }).t === 'settled') bounced.push(r.msg)
    })
    for (const msg of hostile) sys['a@h']!.send(mb.pid, msg)
    await net.settle()
    expect(sys['b@h']!.isAlive(mb.pid)).toBe(true)
    // Nothing went to a pid that is not the peer, and the stranger's word made nobody caught up anew.
    expect(bounced).toEqual([])
    expect(mb.get('k')).toBe(1)
    expect(mb.caughtUp()).toEqual(['a@h'])
  })

  it('forgets that a peer was caught up with when a new incarnation of it says hello before the old one\'s Down', async () => {
    const { net, sys, m } = cluster<number>(['a@h', 'b@h'], { syncIntervalMs: 0 })
    await net.settle()
    expect(m['a@h']!.caughtUp()).toEqual(['b@h'])
    // A new map actor on b, as after a restart whose Down has not reached a yet; it never answers a catch-up.
    const newcomer = sys['b@h']!.spawn({ init: () => undefined, handleInfo: (_msg: unknown, state: undefined) => state })
    sys['b@h']!.send(m['a@h']!.pid, { t: 'hello', peer: newcomer })
    await net.settle()
    expect(m['a@h']!.caughtUp()).toEqual([])
  })

  it('compares the other 24 bits of the range hashes in every other round, the first round the low ones', async () => {
    const { net, sys, m } = cluster<number>(['a@h', 'b@h'], { syncIntervalMs: 100 })
    const shifts: unknown[] = []
    sys['b@h']!.trace((r) => {
      if (r.type !== 'receive' || !r.pid.equals(m['b@h']!.pid)) return
      const msg = r.msg as { t?: string; parents?: number[]; shift?: number }
      if (msg.t === 'ranges' && msg.parents?.length === 1 && msg.parents[0] === 0) shifts.push(msg.shift)
    })
    m['a@h']!.set('k', 1)
    await net.settle()
    await net.clock.advance(250)
    expect(shifts).toEqual([undefined, 8, undefined])
  })

  it('starts no periodic catch-up with a peer while one with it is still under way', async () => {
    const { net, sys, m } = cluster<number>(['a@h', 'b@h'], { syncIntervalMs: 100 })
    await net.settle()
    net.partition('a@h', 'b@h')
    for (let i = 0; i < 3000; i++) m['b@h']!.set(`k${i}`, i)
    // Each hop now takes 60 ms, so the catch-up after the heal outlasts the 100 ms between periodic ones.
    net.delay('a@h', 'b@h', 60)
    const rootsAt: number[] = []
    sys['a@h']!.trace((r) => {
      if (r.type !== 'send' || r.from?.equals(m['a@h']!.pid) !== true) return
      const msg = r.msg as { t?: string; parents?: number[] }
      if (msg.t === 'ranges' && msg.parents?.length === 1 && msg.parents[0] === 0) rootsAt.push(net.clock.now())
    })
    const healedAt = net.clock.now()
    net.heal()
    await net.waitFor(() => m['a@h']!.caughtUp().includes('b@h'))
    const tookMs = net.clock.now() - healedAt
    expect(tookMs).toBeGreaterThan(200)
    expect(m['a@h']!.size).toBe(3000)
    // One round from the heal to its end, where a periodic one every 100 ms would have started two or three more.
    expect(rootsAt).toHaveLength(1)
  })

  it('a step from a peer that counts no rounds is answered as before, without a share', async () => {
    const { net, sys, m } = cluster<number>(['a@h', 'b@h'])
    await net.settle()
    const sent: Array<Record<string, unknown>> = []
    sys['b@h']!.trace((r) => {
      if (r.type === 'send' && r.from?.equals(m['b@h']!.pid) === true) sent.push(r.msg as Record<string, unknown>)
    })
    m['a@h']!.set('k', 1)
    const probe = sys['a@h']!.spawn({ init: () => undefined, handleInfo: (_msg: unknown, state: undefined) => state })
    // A root step with no round: the map compares and answers with versions that carry no share, and settles nothing.
    sys['a@h']!.send(m['b@h']!.pid, { t: 'ranges', peer: probe, parents: [0], hashes: Buffer.alloc(12, 0xff) })
    await net.settle()
    expect(sent.map((msg) => msg['t'])).toContain('versions')
    expect(sent.map((msg) => msg['t'])).not.toContain('settled')
    expect(sent.filter((msg) => 'round' in msg || 'w' in msg)).toEqual([])
  })
})

describe('replicated map: knowing the peers hold a write (synced, replicatedTo)', () => {
  it('synced resolves only once every peer holds the writes made before it, however slow its link', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h', 'c@h'])
    await net.settle()
    net.delay('a@h', 'c@h', 50)
    const a = m['a@h']!
    a.set('k', 1)
    let seen: unknown[] | undefined
    const done = a.synced().then(() => (seen = [m['b@h']!.get('k'), m['c@h']!.get('k')]))
    await net.clock.advance(99)
    // The batch reached c at 50 ms and its answer is still on the way back.
    expect(m['c@h']!.get('k')).toBe(1)
    expect(seen).toBeUndefined()
    await net.clock.advance(1)
    await done
    expect(seen).toEqual([1, 1])
  })

  it('synced rejects naming the peer that did not confirm in time', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h', 'c@h'])
    await net.settle()
    net.delay('a@h', 'c@h', 10_000)
    m['a@h']!.set('k', 1)
    const outcome = m['a@h']!.synced({ timeoutMs: 100 }).then(
      () => 'resolved',
      (err: unknown) => err,
    )
    await net.clock.advance(100)
    expect(await outcome).toMatchObject({ code: 'COHORT_ERR_MAP_NOT_SYNCED', message: expect.stringContaining('of c@h did not confirm a@h') as unknown })
    expect(String(((await outcome) as Error).message)).not.toContain('b@h')
  })

  it('replicatedTo answers with the peers that hold the writes, as Redis\'s WAIT: at atLeast of them, or at the timeout', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h', 'c@h'])
    await net.settle()
    net.delay('a@h', 'c@h', 10_000)
    const a = m['a@h']!
    a.set('k', 1)
    let one: string[] | undefined
    void a.replicatedTo({ atLeast: 1, timeoutMs: 1_000 }).then((peers) => (one = peers))
    let two: string[] | undefined
    void a.replicatedTo({ atLeast: 2, timeoutMs: 1_000 }).then((peers) => (two = peers))
    await net.clock.advance(0)
    expect(one).toEqual(['b@h'])
    expect(two).toBeUndefined()
    await net.clock.advance(1_000)
    expect(two).toEqual(['b@h'])
    expect(await a.replicatedTo({ atLeast: 0, timeoutMs: 1 })).toEqual([])
    // Past the slow link's delay both answer; more than there are peers waits for all of them.
    net.delay('a@h', 'c@h', 0)
    await net.clock.advance(20_000)
    a.set('k', 2)
    expect((await a.replicatedTo({ atLeast: 5, timeoutMs: Infinity })).sort()).toEqual(['b@h', 'c@h'])
  })

  it('waits only for the writes made before the call, however many follow', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h'], { batchSize: 2 })
    await net.settle()
    const a = m['a@h']!
    for (let i = 0; i < 10; i++) a.set(`before${i}`, i)
    let held: number | undefined
    const done = a.synced().then(() => (held = m['b@h']!.keys('before').length))
    for (let i = 0; i < 10; i++) a.set(`after${i}`, i)
    await done
    expect(held).toBe(10)
  })

  it('does not wait for a peer that goes down, nor count a restarted one before its catch-up has ended', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h', 'c@h'])
    for (let i = 0; i < 3000; i++) m['a@h']!.set(`k${i}`, i)
    await net.settle()
    const a = m['a@h']!
    net.delay('a@h', 'c@h', 10_000)
    a.set('x', 1)
    const waiting = a.replicatedTo({ atLeast: 2, timeoutMs: Infinity })
    await net.kill('c@h')
    await net.settle()
    expect(await waiting).toEqual(['b@h'])

    await net.kill('b@h')
    const b = startReplicatedMap<number>(net.restart('b@h'))
    net.delay('a@h', 'b@h', 5)
    while (!a.peers().includes('b@h')) await net.clock.advance(1)
    expect(a.caughtUp()).toEqual([])
    a.set('y', 1)
    let held: number | undefined
    const done = a.synced({ timeoutMs: 60_000 }).then(() => (held = b.size))
    await net.waitFor(() => held !== undefined)
    await done
    expect(held).toBe(3002)
  })

  it('does not wait for a peer whose new incarnation says hello before the old one answered', async () => {
    const { net, sys, m } = cluster<number>(['a@h', 'b@h'], { syncIntervalMs: 0 })
    await net.settle()
    net.delay('a@h', 'b@h', 50)
    m['a@h']!.set('k', 1)
    let outcome: string | undefined
    void m['a@h']!.synced({ timeoutMs: 1_000 }).then(
      () => (outcome = 'resolved'),
      (err: { code?: string }) => (outcome = err.code),
    )
    // As after a restart whose Down has not reached a yet: the old actor's pong would come from a replaced pid.
    const newcomer = sys['b@h']!.spawn({ init: () => undefined, handleInfo: (_msg: unknown, state: undefined) => state })
    sys['b@h']!.send(m['a@h']!.pid, { t: 'hello', peer: newcomer })
    await net.clock.advance(60)
    expect(outcome).toBe('resolved')
  })

  it('answers at once with no peer, refuses bad options, and fails on a stopped map', async () => {
    const { m } = cluster<number>(['a@h'])
    const a = m['a@h']!
    a.set('k', 1)
    await expect(a.synced()).resolves.toBeUndefined()
    expect(await a.replicatedTo({ atLeast: 1, timeoutMs: 10 })).toEqual([])
    await expect(a.synced({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'timeoutMs' })
    await expect(a.synced({ timeoutMs: Infinity })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'timeoutMs' })
    await expect(a.replicatedTo({ atLeast: -1, timeoutMs: 10 })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'atLeast' })
    await expect(a.replicatedTo({ atLeast: 1.5, timeoutMs: 10 })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'atLeast' })
    await expect(a.replicatedTo({ atLeast: 1, timeoutMs: Number.NaN })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'timeoutMs' })
    await expect(a.replicatedTo(undefined as never)).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'options' })
    await a.stop()
    await expect(a.synced()).rejects.toMatchObject({ code: 'COHORT_ERR_NOPROC' })
    await expect(a.replicatedTo({ atLeast: 1, timeoutMs: 10 })).rejects.toMatchObject({ code: 'COHORT_ERR_NOPROC' })
  })
})

describe('replicated map: batching and bad input', () => {
  it('coalesces a key written many times before a flush into one pending key and one sent entry', async () => {
    const { net, sys, m } = cluster<number>(['a@h', 'b@h'])
    await net.settle()
    let received = 0
    sys['b@h']!.trace((r) => {
      if (r.type === 'receive' && r.pid.equals(m['b@h']!.pid) && (r.msg as { t?: string }).t === 'delta') received += (r.msg as { count: number }).count
    })
    for (let i = 0; i < 1000; i++) m['a@h']!.set('hot', i)
    m['a@h']!.set('cold', 1)
    expect(m['a@h']!.stats().pendingByPeer).toEqual({ 'b@h': 2 })
    await net.settle()
    expect(received).toBe(2)
    expect(m['b@h']!.get('hot')).toBe(999)
    expect(m['a@h']!.stats().pendingByPeer).toEqual({ 'b@h': 0 })
  })

  it('flush sends every pending change in the caller\'s turn, batch by batch, as the map actor\'s own messages', async () => {
    const { net, sys, m } = cluster<number>(['a@h', 'b@h', 'c@h'], { batchSize: 2 })
    await net.settle()
    const a = m['a@h']!
    const sent: Array<{ from: string; to: string; count: number }> = []
    sys['a@h']!.trace((r) => {
      if (r.type === 'send' && (r.msg as { t?: string }).t === 'delta') sent.push({ from: String(r.from), to: String(r.to), count: (r.msg as { count: number }).count })
    })
    for (let i = 0; i < 5; i++) a.set(`k${i}`, i)
    expect(sent).toEqual([])
    a.flush()
    // Before anything else runs: the outbox is empty and three batches went to each peer, from the map's actor.
    expect(a.stats().pendingByPeer).toEqual({ 'b@h': 0, 'c@h': 0 })
    expect(sent.map((s) => s.count)).toEqual([2, 2, 2, 2, 1, 1])
    expect(new Set(sent.map((s) => s.from))).toEqual(new Set([String(a.pid)]))
    expect(new Set(sent.map((s) => s.to))).toEqual(new Set([String(m['b@h']!.pid), String(m['c@h']!.pid)]))
    a.flush()
    expect(sent).toHaveLength(6)
    await net.settle()
    // The actor's own flush, asked for by the first set, found nothing left to send.
    expect(sent).toHaveLength(6)
    for (const n of ['b@h', 'c@h']) expect(sorted(m[n]!)).toEqual([0, 1, 2, 3, 4].map((i) => [`k${i}`, i]))
  })

  it('flush does nothing on a stopped map', async () => {
    const { net, m } = cluster<number>(['a@h', 'b@h'])
    await net.settle()
    await m['a@h']!.stop()
    expect(() => m['a@h']!.flush()).not.toThrow()
    await net.settle()
    expect(m['b@h']!.size).toBe(0)
  })

  it('a set without TTL after one with TTL keeps the key', async () => {
    const { net, m } = cluster<string>(['a@h', 'b@h'])
    m['a@h']!.set('k', 'short', { ttlMs: 100 })
    m['a@h']!.set('k', 'forever')
    await net.settle()
    await net.clock.advance(200)
    for (const n of ['a@h', 'b@h']) {
      expect(m[n]!.get('k')).toBe('forever')
      expect(m[n]!.expiresAt('k')).toBeUndefined()
    }
  })

  it('drops malformed messages and entries with a warning, applies the good entries of a batch, and keeps running', async () => {
    const sink = createLogSink('warn')
    net = createNetwork({ logger: sink.logger })
    const a = net.addNode('a@h')
    const b = net.addNode('b@h')
    const ma = startReplicatedMap<number>(a)
    const mb = startReplicatedMap<number>(b)
    await net.settle()
    const to = { name: replicatedMapActorName('default'), node: 'b@h' }
    const peer = ma.pid
    const builder = new DeltaBatchBuilder(new ValueBlocks())
    for (const [key, node, value] of [['good', 'a@h', 42], ['bad-writer', 'x@h', 7]] as const) {
      builder.add(Object.assign(new Entry(key, 1), { wall: 1, node, value }))
    }
    const goodThenBadWriter = { ...builder.take(), writers: ['a@h'] }
    for (const bad of [
      null,
      'hello',
      { t: 'nonsense' },
      { t: 'delta', peer, writers: 'x', base: 0, count: 0, data: new Uint8Array(0) },
      // The first entry is good; the second names a writer the batch does not list.
      { t: 'delta', peer, ...goodThenBadWriter },
      { t: 'delta', peer, writers: ['a@h'], base: 0, count: 1, data: new Uint8Array([0, 0]) },
      { t: 'ranges', peer, parents: [-1], hashes: new Uint8Array(16) },
      { t: 'ranges', peer, parents: [0], hashes: new Uint8Array(3) },
      { t: 'ranges', peer, parents: [0], hashes: new Uint8Array(12), shift: 16 },
      { t: 'ping', peer: 'a@h', id: 1 },
      { t: 'pong', peer, id: 'one' },
      { t: 'versions', peer, nodes: [5, 5], writers: [], base: 0, lists: [] },
      { t: 'versions', peer, nodes: [1], writers: ['a@h'], base: 0, lists: [new Uint8Array([1, 2, 3])] },
      { t: 'want', peer, nodes: [1], keys: 'all' },
    ]) {
      a.send(to, bad)
    }
    await net.settle()
    expect(mb.get('good')).toBe(42)
    expect(mb.size).toBe(1)
    const warnings = sink.records.filter((r) => r['level'] === 40).map((r) => String(r['msg']))
    expect(warnings.length).toBeGreaterThanOrEqual(12)
    expect(warnings.every((w) => /malformed|ignored an unknown/.test(w))).toBe(true)
    expect(sink.records.some((r) => r['problem'] === 'shift must be 0 or 8')).toBe(true)
    ma.set('after', 1)
    await net.settle()
    expect(mb.get('after')).toBe(1)
  })
})
