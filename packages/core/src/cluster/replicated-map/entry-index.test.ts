import { describe, expect, it } from 'vitest'
import { Entry } from './entry.ts'
import { EntryIndex, SEGMENT_BUCKETS } from './entry-index.ts'
import { hashString } from './key-hash.ts'

const entryOf = (key: string, keyHash = hashString(key)): Entry => new Entry(key, keyHash)

describe('EntryIndex', () => {
  it('finds, removes and lists entries by key and hash, and tells keys of one hash apart', () => {
    const index = new EntryIndex()
    const keys = ['', 'a', 'user:1', 'user:2', 'é', '🙂', 'x'.repeat(300)]
    const entries = keys.map((k) => entryOf(k))
    for (const e of entries) index.add(e)
    // Two keys that share a hash (and so a bucket): only the key tells them apart.
    const twinA = entryOf('twin-a', 12345)
    const twinB = entryOf('twin-b', 12345)
    index.add(twinA)
    index.add(twinB)
    expect(index.size).toBe(keys.length + 2)
    for (const e of entries) expect(index.get(e.key, hashString(e.key))).toBe(e)
    expect(index.get('twin-a', 12345)).toBe(twinA)
    expect(index.get('twin-b', 12345)).toBe(twinB)
    expect(index.get('twin-c', 12345)).toBeUndefined()
    expect(index.get('user:3', hashString('user:3'))).toBeUndefined()
    // The wrong hash for a held key finds nothing: the hash is compared before the key.
    expect(index.get('user:1', hashString('user:1') ^ 1)).toBeUndefined()

    expect(index.remove(twinA)).toBe(true)
    expect(index.remove(twinA)).toBe(false)
    expect(index.get('twin-a', 12345)).toBeUndefined()
    expect(index.get('twin-b', 12345)).toBe(twinB)
    expect(index.size).toBe(keys.length + 1)
    expect([...index.values()].map((e) => e.key).sort()).toEqual([...keys, 'twin-b'].sort())

    index.clear()
    expect(index.size).toBe(0)
    expect(index.get('a', hashString('a'))).toBeUndefined()
    expect([...index.values()]).toEqual([])
    expect(twinB.chain).toBeUndefined()
  })

  it('keeps every entry findable while it grows across many segments, and after removals in between', () => {
    const index = new EntryIndex()
    const count = SEGMENT_BUCKETS * 5 + 77
    const entries: Entry[] = []
    for (let i = 0; i < count; i++) {
      const e = entryOf(`k${i}`)
      entries.push(e)
      index.add(e)
      // Every 7th key leaves again at once, so removals land in buckets that split before and after them.
      if (i % 7 === 3) expect(index.remove(e)).toBe(true)
    }
    const held = entries.filter((_, i) => i % 7 !== 3)
    expect(index.size).toBe(held.length)
    for (const e of held) if (index.get(e.key, e.keyHash) !== e) throw new Error(`${e.key} was lost while the index grew`)
    for (let i = 3; i < count; i += 7) expect(index.get(`k${i}`, hashString(`k${i}`))).toBeUndefined()
    const listed = [...index.values()]
    expect(listed).toHaveLength(held.length)
    expect(new Set(listed).size).toBe(held.length)
  })

  it('finds an entry from its head and chain as a receiver walks them, for signed and unsigned hashes alike', () => {
    const index = new EntryIndex()
    for (let i = 0; i < 3000; i++) index.add(entryOf(`key:${i}`))
    // A key whose hash has its top bit set reads differently signed and unsigned.
    const key = Array.from({ length: 3000 }, (_, i) => `key:${i}`).find((k) => hashString(k) >= 2 ** 31)!
    const unsigned = hashString(key)
    expect(unsigned | 0).toBeLessThan(0)
    for (const h of [unsigned, unsigned | 0]) {
      let found: Entry | undefined
      for (let e = index.head(h); e !== undefined; e = e.chain) if (e.hasHash(h) && e.key === key) found = e
      expect(found?.key).toBe(key)
      expect(index.get(key, h)?.key).toBe(key)
    }
  })

  it('lets values() go on while the entry it just gave is removed', () => {
    const index = new EntryIndex()
    for (let i = 0; i < 500; i++) index.add(entryOf(`k${i}`))
    let seen = 0
    for (const e of index.values()) {
      seen++
      index.remove(e)
    }
    expect(seen).toBe(500)
    expect(index.size).toBe(0)
  })
})
