/**
 * PagedIdTable: values by id, for ids handed out in increasing order (pid ids). Runs of consecutive ids live in pages
 * of PAGE_SIZE slots, indexed by the id itself; a page left sparse hands its entries to an IdTable (id-table.ts) and
 * is dropped. The actors of a node are held this way.
 *
 * Why not only the IdTable: a hash table grows by moving every entry into a table twice the size. A storm of 100,000
 * spawns into a fresh node rebuilt the actor table twelve times, each time allocating a slot array of up to 2 MB (every
 * new page of memory a page fault) and reading every actor's pid again: a fifth of the spawns' time. A page is never
 * moved: a spawn storm adds one page of 2 KB every 256 actors, allocated young like any small object.
 *
 * Memory: a page other than the newest is kept only while it holds at least SPARSE_BELOW entries, so pages cost at most
 * 2 KB / 16 = 128 bytes an entry. Ids spread thin (actors spawned one at a time between calls, whose reply ports take
 * their ids from the same sequence) leave their page at once and end up in the IdTable, as every actor did before.
 *
 * Where an id is: in the page of its number while that page exists, else in the IdTable. A page is created only for a
 * number at or above the newest one so far, so a page that was dropped never comes back while its entries sit in the
 * IdTable.
 *
 * Hot path: `get` (every message from another node).
 */
import { IdTable } from './id-table.ts'
import type { Keyed } from './id-table.ts'

const PAGE_SIZE = 256
/** A page other than the newest with fewer entries than this is dropped and its entries moved to the IdTable. */
const SPARSE_BELOW = 16

class Page<V> {
  readonly slots: (V | undefined)[] = new Array<V | undefined>(PAGE_SIZE)
  count = 0
}

export class PagedIdTable<V extends Keyed> {
  /** The page of the highest number so far: the one new ids go to. Kept even when empty. */
  #newest = new Page<V>()
  #newestNumber = 0
  /** Pages below the newest that are still dense, by number. */
  readonly #older = new Map<number, Page<V>>()
  /** Entries whose page was dropped, or never made. */
  readonly #overflow = new IdTable<V>()
  #size = 0

  get size(): number {
    return this.#size
  }

  /** Pages held, the newest included (for tests of the memory bound). */
  get pageCount(): number {
    return this.#older.size + 1
  }

  get(id: number): V | undefined {
    const number = Math.floor(id / PAGE_SIZE)
    if (number === this.#newestNumber) return this.#newest.slots[id - number * PAGE_SIZE]
    if (this.#older.size !== 0) {
      const page = this.#older.get(number)
      if (page !== undefined) return page.slots[id - number * PAGE_SIZE]
    }
    return this.#overflow.size === 0 ? undefined : this.#overflow.get(id)
  }

  /** Puts `value` under its id (replacing any value of that id). */
  set(value: V): void {
    const id = value.pid.id
    const number = Math.floor(id / PAGE_SIZE)
    let page: Page<V> | undefined
    if (number === this.#newestNumber) page = this.#newest
    else if (number > this.#newestNumber) page = this.#startPage(number)
    else page = this.#older.get(number)
    if (page === undefined) {
      const before = this.#overflow.size
      this.#overflow.set(value)
      this.#size += this.#overflow.size - before
      return
    }
    const slot = id - number * PAGE_SIZE
    if (page.slots[slot] === undefined) {
      page.count++
      this.#size++
    }
    page.slots[slot] = value
  }

  /** Removes the value of `id`; true if it was there. */
  delete(id: number): boolean {
    const number = Math.floor(id / PAGE_SIZE)
    const page = number === this.#newestNumber ? this.#newest : this.#older.get(number)
    if (page === undefined) {
      if (!this.#overflow.delete(id)) return false
      this.#size--
      return true
    }
    const slot = id - number * PAGE_SIZE
    if (page.slots[slot] === undefined) return false
    page.slots[slot] = undefined
    page.count--
    this.#size--
    if (page !== this.#newest && page.count < SPARSE_BELOW) this.#dropPage(number, page)
    return true
  }

  /** The values, in no particular order: a copy, safe to use while entries leave. */
  values(): V[] {
    const out: V[] = []
    const collect = (page: Page<V>): void => {
      for (const at of page.slots) if (at !== undefined) out.push(at)
    }
    collect(this.#newest)
    for (const page of this.#older.values()) collect(page)
    for (const at of this.#overflow.values()) out.push(at)
    return out
  }

  /** Makes the page of `number` the newest; the one it replaces stays among the older pages if it is dense. */
  #startPage(number: number): Page<V> {
    const previous = this.#newest
    if (previous.count >= SPARSE_BELOW) this.#older.set(this.#newestNumber, previous)
    else this.#moveToOverflow(previous)
    this.#newest = new Page<V>()
    this.#newestNumber = number
    return this.#newest
  }

  #dropPage(number: number, page: Page<V>): void {
    this.#older.delete(number)
    this.#moveToOverflow(page)
  }

  #moveToOverflow(page: Page<V>): void {
    if (page.count === 0) return
    for (const at of page.slots) if (at !== undefined) this.#overflow.set(at)
  }
}
