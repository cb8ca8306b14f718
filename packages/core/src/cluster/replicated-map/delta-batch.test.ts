import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { createMessageCodec } from '../../codec.ts'
import { DeltaBatchBuilder, decodeDeltaBatch } from './delta-batch.ts'
import { Entry } from './replica-store.ts'

function entry(key: string, wall: number, counter: number, node: string, value: unknown, options: { deleted?: boolean; expiresAt?: number } = {}): Entry {
  const e = new Entry(key, 1)
  Object.assign(e, { wall, counter, node, value, deleted: options.deleted ?? false, expiresAt: options.expiresAt ?? 0 })
  return e
}

describe('delta batches', () => {
  it('round-trips entries through the codec with node names once and walls relative to the first', () => {
    const builder = new DeltaBatchBuilder()
    builder.add(entry('a', 1_764_700_000_000, 3, 'cache@10.0.0.5', Buffer.from('one')))
    builder.add(entry('b', 1_764_700_000_250, 0, 'cache@10.0.0.6', { n: 2 }, { expiresAt: 1_764_700_060_250 }))
    builder.add(entry('c', 1_764_699_999_000, 1, 'cache@10.0.0.5', undefined, { deleted: true }))
    const fields = builder.take()
    expect(builder.length).toBe(0)
    expect(fields.writers).toEqual(['cache@10.0.0.5', 'cache@10.0.0.6'])
    const codec = createMessageCodec()
    const decoded = codec.decode(codec.encode(fields)) as typeof fields
    const problems: string[] = []
    const entries: unknown[][] = []
    decodeDeltaBatch(decoded, (p) => problems.push(p), (...e) => entries.push(e))
    expect(problems).toEqual([])
    expect(decoded.who).toEqual([0, 1, 0])
    expect(decoded.deleted).toEqual([2])
    expect(decoded.expires).toEqual([1, 60_000])
    expect(entries.map(([k, w, c, n, d, x]) => [k, w, c, n, d, x])).toEqual([
      ['a', 1_764_700_000_000, 3, 'cache@10.0.0.5', false, 0],
      ['b', 1_764_700_000_250, 0, 'cache@10.0.0.6', false, 1_764_700_060_250],
      ['c', 1_764_699_999_000, 1, 'cache@10.0.0.5', true, 0],
    ])
    const bytes = entries[0]![6] as Buffer
    expect(bytes.toString()).toBe('one')
    expect(bytes.buffer.byteLength).toBe(3)
    expect(entries[1]![6]).toEqual({ n: 2 })
    expect(entries[2]![6]).toBeUndefined()
  })

  it('leaves out the writer column with one writer, and the delete and expiry columns when no entry needs them', () => {
    const builder = new DeltaBatchBuilder()
    builder.add(entry('a', 5, 0, 'a@h', 1))
    builder.add(entry('b', 6, 0, 'a@h', 2))
    expect(builder.take()).toEqual({ writers: ['a@h'], who: null, base: 5, keys: ['a', 'b'], walls: [0, 1], counters: [0, 0], values: [1, 2], deleted: null, expires: null })
  })

  it('reports malformed batches and entries and keeps the good entries', () => {
    const problems: string[] = []
    const keys: unknown[] = []
    const batch = { writers: ['a@h'], who: null, base: 10, keys: ['ok', 7, 'neg'], walls: [0, 0, -20], counters: [0, 0, 0], values: [1, 1, 1], deleted: null, expires: null }
    decodeDeltaBatch(batch, (p) => problems.push(p), (k) => keys.push(k))
    expect(keys).toEqual(['ok'])
    expect(problems).toHaveLength(2)
    expect(problems[0]).toMatch(/key must be a string/)
    expect(problems[1]).toMatch(/wall of neg/)
    for (const bad of [{ ...batch, writers: 'x' }, { ...batch, walls: [0] }, { ...batch, who: [0] }, { ...batch, expires: [1] }, { keys: 'x' }]) {
      decodeDeltaBatch(bad, (p) => problems.push(p), (k) => keys.push(k))
    }
    expect(problems).toHaveLength(7)
    expect(keys).toEqual(['ok'])
  })
})
