import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random.ts'
import { expectSameAsModel, LiveIds } from '../test-support/id-table-model.ts'
import { PagedIdTable } from './paged-id-table.ts'

/** A table entry: what the table reads (`pid.id`) and a label to tell entries of the same id apart. */
interface Entry {
  readonly pid: { readonly id: number }
  readonly label: number
}

const entry = (id: number, label: number = id): Entry => ({ pid: { id }, label })

describe('PagedIdTable', () => {
  it('sets, gets, replaces and deletes by id, in the newest page, older pages and the overflow', () => {
    const t = new PagedIdTable<Entry>()
    for (let id = 1; id <= 600; id++) t.set(entry(id))
    // 600 ids: pages 0 and 1 are older and full, page 2 is the newest.
    expect(t.pageCount).toBe(3)
    t.set(entry(5, -5))
    t.set(entry(599, -599))
    expect(t.get(5)?.label).toBe(-5)
    expect(t.get(599)?.label).toBe(-599)
    expect(t.get(300)?.label).toBe(300)
    expect(t.get(601)).toBeUndefined()
    expect(t.get(0)).toBeUndefined()
    expect(t.size).toBe(600)
    expect(t.delete(300)).toBe(true)
    expect(t.delete(300)).toBe(false)
    expect(t.get(300)).toBeUndefined()
    expect(t.size).toBe(599)
  })

  it('moves the entries of a page that turns sparse to the overflow, and still finds them', () => {
    const t = new PagedIdTable<Entry>()
    for (let id = 0; id < 1024; id++) t.set(entry(id))
    expect(t.pageCount).toBe(4)
    // Page 1 (ids 256-511) down to 15 entries: dropped.
    for (let id = 256; id < 497; id++) t.delete(id)
    expect(t.pageCount).toBe(3)
    for (let id = 497; id < 512; id++) expect(t.get(id)?.label).toBe(id)
    expect(t.get(300)).toBeUndefined()
    // An id of the dropped page set again goes to the overflow; no page comes back.
    t.set(entry(300, -300))
    expect(t.get(300)?.label).toBe(-300)
    expect(t.pageCount).toBe(3)
    expect(t.delete(497)).toBe(true)
    expect(t.get(497)).toBeUndefined()
    expect(t.size).toBe(1024 - 241)
  })

  it('holds actors spawned one at a time between many calls without a page each', () => {
    const t = new PagedIdTable<Entry>()
    // A spawn every 1,000 ids (the ids between went to reply ports): each lands alone on a new page.
    for (let i = 0; i < 5_000; i++) t.set(entry(i * 1_000))
    expect(t.pageCount).toBe(1)
    expect(t.size).toBe(5_000)
    for (let i = 0; i < 5_000; i += 97) expect(t.get(i * 1_000)?.label).toBe(i * 1_000)
  })

  it('keeps at most one page per 16 entries, besides the newest, whatever leaves', () => {
    const random = seededRandom(17)
    const t = new PagedIdTable<Entry>()
    const live = new LiveIds()
    let nextId = 0
    for (let step = 0; step < 100_000; step++) {
      if (random() < 0.55) {
        t.set(entry(nextId))
        live.add(nextId++)
      } else if (live.length > 0) {
        t.delete(live.takeAt(Math.floor(random() * live.length)))
      }
      if (step % 1_000 === 0) expect(t.pageCount - 1).toBeLessThanOrEqual(Math.floor(t.size / 16))
    }
    expect(t.size).toBe(live.length)
  })

  it('agrees with a Map under random sets and deletes: bursts, sparse spawns, ids set again and ids never set', () => {
    const random = seededRandom(0x9e3779b9)
    const pick = (n: number): number => Math.floor(random() * n)
    const t = new PagedIdTable<Entry>()
    const model = new Map<number, number>()
    const live = new LiveIds()
    let nextId = 1
    let disagreements = 0
    for (let step = 0; step < 50_000; step++) {
      const op = pick(20)
      if (op < 8) {
        // Mostly the next id, as spawns take them; sometimes after a gap (reply ports took the ids between), and
        // sometimes an id set before, or one never handed out.
        const gap = op === 0 ? pick(2_000) : 0
        nextId += gap
        const id = op === 1 && nextId > 1 ? pick(nextId) : nextId++
        t.set(entry(id, step))
        if (!model.has(id)) live.add(id)
        model.set(id, step)
      } else if (op < 17 && live.length > 0) {
        const id = live.takeAt(pick(live.length))
        model.delete(id)
        if (!t.delete(id)) disagreements++
      } else {
        const id = pick(nextId + 100)
        if (t.get(id)?.label !== model.get(id)) disagreements++
        if (!model.has(id) && t.delete(id)) disagreements++
      }
      if (step % 997 === 0) expectSameAsModel(t, model)
    }
    expect(disagreements).toBe(0)
    // 50,000 steps with a full comparison every 997: quick alone, slow on two loaded cores (see id-table.test.ts).
  }, 30_000)

  it('takes ids beyond the 32-bit range', () => {
    const t = new PagedIdTable<Entry>()
    t.set(entry(5))
    t.set(entry(2 ** 31 + 5))
    t.set(entry(2 ** 40))
    expect(t.get(5)?.label).toBe(5)
    expect(t.get(2 ** 31 + 5)?.label).toBe(2 ** 31 + 5)
    expect(t.get(2 ** 40)?.label).toBe(2 ** 40)
    expect(t.get(2 ** 40 + 1)).toBeUndefined()
    expect(t.delete(2 ** 31 + 5)).toBe(true)
    expect(t.get(2 ** 40)?.label).toBe(2 ** 40)
    expect(t.size).toBe(2)
  })
})
