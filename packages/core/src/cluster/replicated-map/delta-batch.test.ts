import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { createMessageCodec } from '../../codec.ts'
import { Pid } from '../../pid.ts'
import { DeltaBatchBuilder, WARM_MAX_ENTRIES, decodeDeltaBatch } from './delta-batch.ts'
import type { DeltaFields } from './delta-batch.ts'
import { Entry } from './entry.ts'
import { hashAsciiBytes } from './key-hash.ts'
import { PLACE_BUFFER, PLACE_BYTES, PLACE_NONE, ValueBlocks } from './value-blocks.ts'

function entry(key: string, wall: number, counter: number, node: string, value: unknown, options: { deleted?: boolean; expiresAt?: number } = {}): Entry {
  const e = new Entry(key, 1)
  Object.assign(e, { wall, counter, node, value, deleted: options.deleted ?? false, expiresAt: options.expiresAt ?? 0 })
  return e
}

function decode(fields: Partial<Record<keyof DeltaFields, unknown>>): { problems: string[]; entries: unknown[][] } {
  const problems: string[] = []
  const entries: unknown[][] = []
  decodeDeltaBatch(fields, (p) => problems.push(p), (...e) => entries.push(e))
  return { problems, entries }
}

describe('delta batches', () => {
  it('round-trips entries through the codec with node names once and walls relative to the first', () => {
    const builder = new DeltaBatchBuilder(new ValueBlocks())
    builder.add(entry('a', 1_764_700_000_000, 3, 'cache@10.0.0.5', Buffer.from('one')))
    builder.add(entry('b', 1_764_700_000_250, 0, 'cache@10.0.0.6', { n: 2 }, { expiresAt: 1_764_700_060_250 }))
    builder.add(entry('c', 1_764_699_999_000, 1, 'cache@10.0.0.5', undefined, { deleted: true }))
    builder.add(entry('ключ', 1_764_700_000_001, 0, 'cache@10.0.0.5', 'значение'))
    builder.add(entry('u8', 1_764_700_000_001, 1, 'cache@10.0.0.5', new Uint8Array([1, 2])))
    builder.add(entry('pid', 1_764_700_000_001, 2, 'cache@10.0.0.5', new Pid('cache@10.0.0.5', 7, 1)))
    const fields = builder.take()
    expect(builder.length).toBe(0)
    expect(fields.writers).toEqual(['cache@10.0.0.5', 'cache@10.0.0.6'])
    expect(fields.count).toBe(6)
    const codec = createMessageCodec()
    const { problems, entries } = decode(codec.decode(codec.encode(fields)) as DeltaFields)
    expect(problems).toEqual([])
    expect(entries.map(([k, w, c, n, d, x]) => [k, w, c, n, d, x])).toEqual([
      ['a', 1_764_700_000_000, 3, 'cache@10.0.0.5', false, 0],
      ['b', 1_764_700_000_250, 0, 'cache@10.0.0.6', false, 1_764_700_060_250],
      ['c', 1_764_699_999_000, 1, 'cache@10.0.0.5', true, 0],
      ['ключ', 1_764_700_000_001, 0, 'cache@10.0.0.5', false, 0],
      ['u8', 1_764_700_000_001, 1, 'cache@10.0.0.5', false, 0],
      ['pid', 1_764_700_000_001, 2, 'cache@10.0.0.5', false, 0],
    ])
    // Bytes are handed over as a range of the received data, marked for the store to copy if it keeps them: no view
    // is made of a value that may lose its merge.
    const [, , , , , , bytes, , , start, end] = entries[0]! as [unknown, unknown, unknown, unknown, unknown, unknown, Buffer, unknown, unknown, number, number]
    expect(bytes.toString('utf8', start, end)).toBe('one')
    expect(entries.map((e) => e[7])).toEqual([PLACE_BUFFER, PLACE_NONE, PLACE_NONE, PLACE_NONE, PLACE_BYTES, PLACE_NONE])
    expect(entries[1]![6]).toEqual({ n: 2 })
    expect(entries[2]![6]).toBeUndefined()
    expect(entries[3]![6]).toBe('значение')
    expect([...(entries[4]![6] as Uint8Array).subarray(entries[4]![9] as number, entries[4]![10] as number)]).toEqual([1, 2])
    expect((entries[5]![6] as Pid).equals(new Pid('cache@10.0.0.5', 7, 1))).toBe(true)
  })

  it('costs a few bytes per entry beyond its key and value', () => {
    const builder = new DeltaBatchBuilder(new ValueBlocks())
    for (let i = 0; i < 100; i++) builder.add(entry(`key:${i}`, 1_764_700_000_000 + i, 0, 'a@h', Buffer.alloc(100)))
    const { data } = builder.take()
    const payload = Array.from({ length: 100 }, (_, i) => `key:${i}`.length + 100).reduce((a, b) => a + b, 0)
    expect(data.length - payload).toBeLessThanOrEqual(100 * 7)
  })

  it('reports malformed batches and entries and keeps the good entries', () => {
    const builder = new DeltaBatchBuilder(new ValueBlocks())
    builder.add(entry('good', 10, 0, 'a@h', 42))
    builder.add(entry('bad-writer', 10, 0, 'x@h', 1))
    builder.add(entry('also-good', 10, 1, 'a@h', 43))
    const fields = builder.take()
    const one = decode({ ...fields, writers: ['a@h'] })
    expect(one.entries.map((e) => [e[0], e[6]])).toEqual([['good', 42], ['also-good', 43]])
    expect(one.problems).toEqual([expect.stringMatching(/writer of bad-writer/)])
    const negative = new DeltaBatchBuilder(new ValueBlocks())
    negative.add(entry('neg', 10, 0, 'a@h', 1))
    const neg = decode({ ...negative.take(), base: -20 })
    expect(neg.problems).toEqual([expect.stringMatching(/wall of neg/)])
    // A key seen to expire crosses without its value; a key without an expiry must have one.
    const valueless = new DeltaBatchBuilder(new ValueBlocks())
    valueless.add(entry('expired', 10, 0, 'a@h', undefined, { expiresAt: 11 }))
    valueless.add(entry('no-expiry', 10, 0, 'a@h', undefined))
    const crossed = decode(valueless.take())
    expect(crossed.entries.map((e) => [e[0], e[5], e[6]])).toEqual([['expired', 11, undefined]])
    expect(crossed.problems).toEqual([expect.stringMatching(/no-expiry must have a value unless deleted or expired/)])
    for (const bad of [
      { ...fields, writers: 'x' },
      { ...fields, base: 'x' },
      { ...fields, count: -1 },
      { ...fields, data: [1, 2] },
      { ...fields, count: 4 },
      { ...fields, data: fields.data.subarray(0, fields.data.length - 1) },
      { ...fields, count: 2 },
    ]) {
      const r = decode(bad)
      expect(r.problems).toHaveLength(1)
    }
  })

  it('hands over the held entry of an ASCII key found from its bytes, and looks up no other key', () => {
    const builder = new DeltaBatchBuilder(new ValueBlocks())
    builder.add(entry('held', 10, 0, 'a@h', 1))
    builder.add(entry('absent', 10, 0, 'a@h', 2))
    builder.add(entry('ключ', 10, 0, 'a@h', 3))
    const heldEntry = new Entry('held', 1)
    const looked: string[] = []
    const got: unknown[][] = []
    decodeDeltaBatch(
      builder.take(),
      (p) => got.push(['problem', p]),
      (...e) => got.push(e),
      (bytes, start, end) => {
        const key = Buffer.from(bytes.subarray(start, end)).toString()
        looked.push(key)
        return key === 'held' ? heldEntry : undefined
      },
    )
    expect(looked).toEqual(['held', 'absent'])
    expect(got.map((e) => [e[0], e[8]])).toEqual([['held', heldEntry], ['absent', null], ['ключ', undefined]])
  })

  it('warms the lookups of a whole batch before applying any of it, as far as its bytes parse', () => {
    const builder = new DeltaBatchBuilder(new ValueBlocks())
    for (const key of ['a', 'ключ', 'b']) builder.add(entry(key, 10, 0, 'a@h', Buffer.from('v')))
    const fields = builder.take()
    const hashOf = (key: string): number => hashAsciiBytes(Buffer.from(key), 0, key.length) | 0
    const events: string[] = []
    const warmed: number[][] = []
    const looked: number[] = []
    const run = (data: Uint8Array, count = fields.count): void =>
      decodeDeltaBatch(
        { ...fields, data, count },
        (p) => events.push(`problem ${p}`),
        (key) => events.push(`apply ${key}`),
        (_bytes, _start, _end, keyHash) => {
          looked.push(keyHash)
          return undefined
        },
        (hashes, count) => {
          events.push('warm')
          warmed.push([...hashes.subarray(0, count)])
        },
      )
    run(fields.data)
    expect(events).toEqual(['warm', 'apply a', 'apply ключ', 'apply b'])
    expect(warmed).toEqual([[hashOf('a'), -1, hashOf('b')]])
    // The lookups get the scanned hashes, unsigned as `hashAsciiBytes` gives them; the non-ASCII key is not looked up.
    expect(looked).toEqual([hashOf('a') >>> 0, hashOf('b') >>> 0])
    // Truncated inside the third entry: the first two are warmed, and the decoder still reports where the data ends.
    events.length = 0
    warmed.length = 0
    run(fields.data.subarray(0, fields.data.length - 2))
    expect(warmed).toEqual([[hashOf('a'), -1]])
    expect(events[0]).toBe('warm')
    expect(events.at(-1)).toMatch(/^problem /)
    // A count far beyond the data is reported as such; the scan reads only what is there.
    events.length = 0
    warmed.length = 0
    run(fields.data, 2 ** 40)
    expect(warmed).toEqual([[hashOf('a'), -1, hashOf('b')]])
    expect(events).toEqual(['warm', 'apply a', 'apply ключ', 'apply b', `problem data ends after 3 of ${2 ** 40} entries`])
  })

  it('warms at most WARM_MAX_ENTRIES of a larger batch, and still finds and applies every entry', () => {
    const builder = new DeltaBatchBuilder(new ValueBlocks())
    const count = WARM_MAX_ENTRIES + 10
    for (let i = 0; i < count; i++) builder.add(entry(`k${i}`, 10, 0, 'a@h', Buffer.from('v')))
    const fields = builder.take()
    const warmedCounts: number[] = []
    const applied: string[] = []
    const looked: number[] = []
    decodeDeltaBatch(
      fields,
      (p) => applied.push(`problem ${p}`),
      (key) => applied.push(key),
      (_bytes, _start, _end, keyHash) => {
        looked.push(keyHash)
        return undefined
      },
      (_hashes, n) => warmedCounts.push(n),
    )
    expect(warmedCounts).toEqual([WARM_MAX_ENTRIES])
    expect(applied).toHaveLength(count)
    expect(applied.at(-1)).toBe(`k${count - 1}`)
    // Entries past the warmed ones are hashed as they are applied: the same hashes.
    const last = Buffer.from(`k${count - 1}`)
    expect(looked.at(-1)).toBe(hashAsciiBytes(last, 0, last.length))
    expect(looked).toHaveLength(count)
  })
})
