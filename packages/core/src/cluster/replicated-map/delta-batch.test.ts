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
    const entries = decodeDeltaBatch(decoded, (p) => problems.push(p))
    expect(problems).toEqual([])
    expect(entries.map(([k, w, c, n, d, x]) => [k, w, c, n, d, x])).toEqual([
      ['a', 1_764_700_000_000, 3, 'cache@10.0.0.5', 0, 0],
      ['b', 1_764_700_000_250, 0, 'cache@10.0.0.6', 0, 1_764_700_060_250],
      ['c', 1_764_699_999_000, 1, 'cache@10.0.0.5', 1, 0],
    ])
    const bytes = entries[0]![6] as Buffer
    expect(bytes.toString()).toBe('one')
    expect(bytes.buffer.byteLength).toBe(3)
    expect(entries[1]![6]).toEqual({ n: 2 })
    expect(entries[2]![6]).toBeNull()
  })

  it('reports malformed entries and keeps the rest', () => {
    const problems: string[] = []
    const entries = decodeDeltaBatch(
      { writers: ['a@h'], base: 10, entries: [['ok', 0, 0, 0, 0, null, 1], ['no-writer', 0, 0, 3, 0, null, 1], 'junk', ['bad-deleted', 0, 0, 0, 2, null, 1]] },
      (p) => problems.push(p),
    )
    expect(entries.map((e) => e[0])).toEqual(['ok'])
    expect(problems).toHaveLength(3)
    expect(problems[0]).toMatch(/node of no-writer/)
    expect(decodeDeltaBatch({ writers: 'x' }, (p) => problems.push(p))).toEqual([])
    expect(problems.at(-1)).toMatch(/writers/)
  })
})
