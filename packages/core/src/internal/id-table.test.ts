import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random.ts'
import { expectSameAsModel, LiveIds } from '../test-support/id-table-model.ts'
import { IdTable } from './id-table.ts'

/** A table entry: what the table reads (`pid.id`) and a label to tell entries of the same id apart. */
interface Entry {
  readonly pid: { readonly id: number }
  readonly label: string | number
}

const entry = (id: number, label: string | number = id): Entry => ({ pid: { id }, label })
const label = (e: Entry | undefined): string | number | undefined => e?.label

describe('IdTable', () => {
  it('sets, gets, replaces and deletes by id', () => {
    const t = new IdTable<Entry>()
    t.set(entry(7, 'a'))
    t.set(entry(8, 'b'))
    expect(label(t.get(7))).toBe('a')
    expect(t.get(9)).toBeUndefined()
    t.set(entry(7, 'c'))
    expect(label(t.get(7))).toBe('c')
    expect(t.size).toBe(2)
    expect(t.delete(7)).toBe(true)
    expect(t.delete(7)).toBe(false)
    expect(t.get(7)).toBeUndefined()
    expect(label(t.get(8))).toBe('b')
    expect(t.size).toBe(1)
  })

  it('finds every entry of a probe run after one in its middle is deleted, across the wrap-around', () => {
    const t = new IdTable<Entry>()
    // 64 slots at first: ids that share slot 62 run into slots 63, 0 and 1.
    const ids = [62, 126, 190, 254, 63, 0]
    for (const id of ids) t.set(entry(id, id))
    expect(t.delete(126)).toBe(true)
    expect(t.delete(63)).toBe(true)
    for (const id of [62, 190, 254, 0]) expect(label(t.get(id))).toBe(id)
    expect(t.get(126)).toBeUndefined()
    expect(t.get(63)).toBeUndefined()
  })

  it('agrees with a Map under random sets and deletes, through growth', () => {
    const random = seededRandom(0x9e3779b9)
    const pick = (n: number): number => Math.floor(random() * n)
    const t = new IdTable<Entry>()
    const model = new Map<number, number>()
    const live = new LiveIds()
    let nextId = 0
    let disagreements = 0
    for (let step = 0; step < 50_000; step++) {
      const op = pick(10)
      if (op < 5) {
        // Mostly fresh ids in sequence, as pids are handed out; sometimes an id far from the rest.
        const id = op === 0 ? pick(1 << 20) : nextId++
        t.set(entry(id, step))
        if (!model.has(id)) live.add(id)
        model.set(id, step)
      } else if (model.size > 0) {
        const id = op === 9 ? pick(1 << 20) : live.at(pick(live.length))
        const deleted = model.delete(id)
        if (deleted) live.forget(id)
        if (t.delete(id) !== deleted) disagreements++
      }
      if (step % 997 === 0) expectSameAsModel(t, model)
    }
    expect(disagreements).toBe(0)
    // 50 000 steps with a full comparison every 997: well under a second alone, but it has run past vitest's
    // default 5 s on two loaded cores. Its duration is not what is under test.
  }, 30_000)

  it('keeps a sliding window of ids handed out in sequence, as calls come and go, and refills its tombstones', () => {
    const t = new IdTable<Entry>()
    const window = 5_000
    let missed = 0
    for (let id = 0; id < 200_000; id++) {
      t.set(entry(id, id))
      if (id >= window && !t.delete(id - window)) missed++
    }
    expect(missed).toBe(0)
    expect(t.size).toBe(window)
    expect(t.get(200_000 - window - 1)).toBeUndefined()
    for (let id = 200_000 - window; id < 200_000; id += 499) expect(label(t.get(id))).toBe(id)
    // 200 000 sets and deletes: quick alone, slow on loaded cores (see above).
  }, 30_000)

  it('takes ids beyond the 32-bit range', () => {
    const t = new IdTable<Entry>()
    t.set(entry(2 ** 31 + 5, 'big'))
    t.set(entry(2 ** 40, 'bigger'))
    t.set(entry(5, 'small'))
    expect(label(t.get(2 ** 31 + 5))).toBe('big')
    expect(label(t.get(2 ** 40))).toBe('bigger')
    expect(label(t.get(5))).toBe('small')
    expect(t.delete(2 ** 31 + 5)).toBe(true)
    expect(label(t.get(2 ** 40))).toBe('bigger')
  })
})
