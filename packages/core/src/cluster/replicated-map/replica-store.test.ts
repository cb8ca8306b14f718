import { Buffer } from 'node:buffer'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { TestClock } from '../../testing/test-clock.ts'
import { HybridLogicalClock } from './hlc.ts'
import { hashAsciiBytes } from './key-hash.ts'
import { ENTRY_BYTES, ReplicaStore } from './replica-store.ts'
import type { MapChange } from './replica-store.ts'
import { PLACE_BYTES, PLACE_NONE } from './value-blocks.ts'

type Version = [string, number, number, string, boolean, number, string | null]

function store(clock = new TestClock(1000)): { s: ReplicaStore<string>; changes: MapChange<string>[] } {
  const s = new ReplicaStore<string>('me@h', clock, new HybridLogicalClock(clock), { tombstoneTtlMs: 500 }, pino({ level: 'silent' }))
  const changes: MapChange<string>[] = []
  s.subscribe((c) => changes.push(c))
  return { s, changes }
}

describe('ReplicaStore', () => {
  it('ends with the newest version whatever the order in which versions arrive', () => {
    const versions: Version[] = [
      ['k', 1000, 0, 'a@h', false, 0, 'a0'],
      ['k', 1000, 0, 'b@h', false, 0, 'b0'],
      ['k', 1000, 1, 'a@h', true, 0, null],
      ['k', 999, 9, 'z@h', false, 0, 'old'],
    ]
    const orders = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]]
    const digests = new Set<number>()
    for (const order of orders) {
      const { s } = store()
      for (const i of order) s.applyRemote(...versions[i]!)
      expect(s.has('k')).toBe(false)
      expect(s.entry('k')?.node).toBe('a@h')
      digests.add(s.digest.hash(0))
    }
    expect(digests.size).toBe(1)
  })

  it('holds a key that a peer saw expire, sent without its value, as expired even before its own clock gets there', () => {
    const { s, changes } = store(new TestClock(1000))
    s.applyRemote('k', 900, 0, 'a@h', false, 1_200, 'v')
    expect(s.get('k')).toBe('v')
    // The same key's newer version, expired on the peer's clock (1,100 here is still before it on this one).
    expect(s.applyRemote('k', 950, 0, 'a@h', false, 1_100, undefined)).toBe(true)
    expect(s.has('k')).toBe(false)
    expect(s.get('k')).toBeUndefined()
    expect(s.size).toBe(0)
    expect(s.held).toBe(1)
    expect(changes.map((c) => c.type)).toEqual(['set', 'expire'])
  })

  it('does not hold a tombstone that is already past collection, and collects the others when due', async () => {
    const clock = new TestClock(10_000)
    const { s, changes } = store(clock)
    expect(s.applyRemote('gone', 1000, 0, 'a@h', true, 0, null)).toBe(false)
    expect(s.held).toBe(0)
    s.applyRemote('live', 9_900, 0, 'a@h', false, 0, 'v')
    s.applyRemote('live', 9_950, 0, 'b@h', true, 0, null)
    expect(changes.map((c) => c.type)).toEqual(['set', 'delete'])
    expect(s.held).toBe(1)
    expect(s.nextDue()).toBe(10_450)
    await clock.advance(450)
    s.sweep()
    expect(s.held).toBe(0)
    expect(s.digest.count(0)).toBe(0)
  })

  it('keeps fingerprints as small signed integers, and collects a tombstone named by its fingerprint as the wire carries it', () => {
    const { s } = store()
    // Half of all fingerprints have the top bit set: the ones that were boxed numbers when they were kept unsigned.
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`)
    for (const k of keys) s.applyRemote(k, 990, 0, 'a@h', true, 0, null)
    const negative = keys.filter((k) => s.entry(k)!.fp < 0)
    expect(negative.length).toBeGreaterThan(0)
    for (const k of keys) expect(s.entry(k)!.fp).toBe(s.entry(k)!.fp | 0)
    const k = negative[0]!
    const onTheWire = s.entry(k)!.fp >>> 0
    expect(s.collectKey(k, onTheWire + 1)).toBe(false)
    expect(s.collectKey(k, onTheWire)).toBe(true)
    expect(s.entry(k)).toBeUndefined()
  })

  it('expires a TTL entry at its time, keeps it as a tombstone with the same fingerprint, then collects it', async () => {
    const clock = new TestClock(1000)
    const { s, changes } = store(clock)
    const e = s.setLocal('t', 'v', 1100)
    const fp = e.fp
    expect(s.expiresAt('t')).toBe(1100)
    await clock.advance(100)
    expect(s.get('t')).toBeUndefined()
    expect(s.size).toBe(1)
    s.sweep()
    expect(s.size).toBe(0)
    expect(s.entry('t')?.fp).toBe(fp)
    expect(changes.map((c) => [c.type, c.origin])).toEqual([['set', 'me@h'], ['expire', 'me@h']])
    await clock.advance(500)
    s.sweep()
    expect(s.entry('t')).toBeUndefined()
  })

  it('finds a held ASCII key from its bytes, through its leaf range, and merges into that entry', () => {
    const { s, changes } = store()
    const keys = Array.from({ length: 2000 }, (_, i) => `k:${i}`)
    for (const key of keys) s.setLocal(key, 'v', 0)
    for (const key of keys) {
      const bytes = Buffer.from(`..${key}..`)
      expect(s.entryOfAscii(bytes, 2, 2 + key.length, hashAsciiBytes(bytes, 2, 2 + key.length))).toBe(s.entry(key))
    }
    const absent = Buffer.from('k:2000')
    expect(s.entryOfAscii(absent, 0, absent.length, hashAsciiBytes(absent, 0, absent.length))).toBeUndefined()
    // A key whose hash matches but whose bytes differ is not taken for it.
    const held = s.entry('k:7')!
    const other = Buffer.from('k:8')
    expect(s.entryOfAscii(other, 0, 3, held.keyHash)).toBeUndefined()
    // Merging with the entry found (or null: none held) is merging by key.
    expect(s.applyRemote('k:7', 5_000, 0, 'a@h', false, 0, 'new', PLACE_NONE, held)).toBe(true)
    expect(s.get('k:7')).toBe('new')
    expect(s.applyRemote('fresh', 5_000, 0, 'a@h', false, 0, 'f', PLACE_NONE, null)).toBe(true)
    expect(s.entry('fresh')?.value).toBe('f')
    expect(changes.slice(-2).map((c) => c.key)).toEqual(['k:7', 'fresh'])
  })

  it('warms the lookups of a batch of key hashes: each held key is found once, absent and non-ASCII keys are walked past', () => {
    const { s } = store()
    // 100,000 keys over 65,536 leaf ranges: most lookups walk more than one entry.
    const keys = Array.from({ length: 100_000 }, (_, i) => `k:${i}`)
    for (const key of keys) s.setLocal(key, 'v', 0)
    const asked = [...keys.slice(0, 300), 'absent:1', 'absent:2']
    const hashes = new Int32Array(asked.length + 1)
    for (const [i, key] of asked.entries()) {
      const bytes = Buffer.from(key)
      hashes[i] = hashAsciiBytes(bytes, 0, bytes.length) | 0
    }
    hashes[asked.length] = -1
    s.warmAscii(hashes, hashes.length)
    expect(s.warmed).toBe(keys.slice(0, 300).reduce((n, key) => n + key.length, 0))
    s.warmAscii(hashes, 0)
    expect(s.warmed).toBe(0)
  })

  it("counts its data's bytes as keys and byte values come, change and go, whichever way they leave", async () => {
    const clock = new TestClock(1000)
    const s = new ReplicaStore<Uint8Array>('me@h', clock, new HybridLogicalClock(clock), { tombstoneTtlMs: 500 }, pino({ level: 'silent' }))
    const entry = (key: string, valueBytes: number): number => key.length + valueBytes + ENTRY_BYTES
    expect(s.bytes).toBe(0)
    s.setLocal('a', Buffer.alloc(100), 0)
    expect(s.bytes).toBe(entry('a', 100))
    // Overwritten, smaller then larger (a value of its own memory past half a block).
    s.setLocal('a', Buffer.alloc(10), 0)
    expect(s.bytes).toBe(entry('a', 10))
    s.setLocal('a', new Uint8Array(10_000), 0)
    expect(s.bytes).toBe(entry('a', 10_000))
    // A peer's value, from a frame: only its range counts.
    const frame = new Uint8Array(64)
    s.applyRemote('bb', 900, 0, 'p@h', false, 0, frame, PLACE_BYTES, undefined, 8, 40)
    expect(s.bytes).toBe(entry('a', 10_000) + entry('bb', 32))
    // Deleted: a tombstone keeps its key until collected.
    s.deleteLocal('a')
    expect(s.bytes).toBe(entry('a', 0) + entry('bb', 32))
    await clock.advance(600)
    s.sweep()
    expect(s.bytes).toBe(entry('bb', 32))
    // Expired: the value goes at its expiry, the key with its tombstone.
    s.setLocal('c', Buffer.alloc(50), clock.now() + 100)
    expect(s.bytes).toBe(entry('bb', 32) + entry('c', 50))
    await clock.advance(100)
    s.sweep()
    expect(s.bytes).toBe(entry('bb', 32) + entry('c', 0))
    await clock.advance(500)
    s.sweep()
    expect(s.bytes).toBe(entry('bb', 32))
    // A value that is not bytes counts nothing; an older version from a peer changes nothing.
    s.setLocal('d', 'text' as unknown as Uint8Array, 0)
    expect(s.bytes).toBe(entry('bb', 32) + entry('d', 0))
    expect(s.applyRemote('bb', 1, 0, 'p@h', false, 0, new Uint8Array(500), PLACE_BYTES)).toBe(false)
    expect(s.bytes).toBe(entry('bb', 32) + entry('d', 0))
    s.clear()
    expect(s.bytes).toBe(0)
  })
})
