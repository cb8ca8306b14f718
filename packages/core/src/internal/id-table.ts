/**
 * IdTable: values by a non-negative integer id, in one array of slots (open addressing, linear probing), for tables
 * whose entries come and go all the time, as a call's reply port does.
 *
 * Why not a Map: V8 rehashes a Map into a new backing table once deleted entries fill it, and the old table keeps
 * its entries. Once a Map's table has lived long enough to reach the old generation, each new table is allocated there
 * too, and every discarded one holds the values it had at the time until the next full collection; a young-generation
 * collection treats them as live. With remote calls, most ports (and each one's call and promise) outlived their call
 * that way, and the caller spent a third of its time copying them. Here a deleted slot gives up its value at once (its
 * id becomes a tombstone), and a table outgrown or full of tombstones is emptied before it is dropped, so nothing a
 * table lets go of stays reachable through it.
 *
 * Ids handed out in sequence (pid ids) take consecutive slots, and a new id's slot is usually the tombstone of the id
 * one table-length before it: lookups rarely probe and the table is rarely rebuilt. Hot path: every remote call.
 */
const INITIAL_CAPACITY = 64
const EMPTY = -1
const DELETED = -2

export class IdTable<V> {
  /**
   * The ids in a typed array: its memory is outside the garbage collector's heap, so a table that grows to hundreds of
   * thousands of slots (a spawn storm) is not one more large object for the collector to allocate and scan.
   */
  #ids = new Float64Array(INITIAL_CAPACITY).fill(EMPTY)
  #values: (V | undefined)[] = new Array<V | undefined>(INITIAL_CAPACITY)
  #mask = INITIAL_CAPACITY - 1
  #size = 0
  /** Slots not EMPTY: entries and tombstones. Kept to at most half the slots, so every probe meets an EMPTY one. */
  #used = 0

  get size(): number {
    return this.#size
  }

  get(id: number): V | undefined {
    const ids = this.#ids
    const mask = this.#mask
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const at = ids[i]!
      if (at === id) return this.#values[i]
      if (at === EMPTY) return undefined
    }
  }

  /** Sets the value of `id` (replacing any). */
  set(id: number, value: V): void {
    const ids = this.#ids
    const mask = this.#mask
    let tombstone = -1
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const at = ids[i]!
      if (at === id) {
        this.#values[i] = value
        return
      }
      if (at === DELETED) {
        if (tombstone === -1) tombstone = i
      } else if (at === EMPTY) {
        if (tombstone !== -1) {
          ids[tombstone] = id
          this.#values[tombstone] = value
          this.#size++
          return
        }
        if ((this.#used + 1) * 2 > ids.length) {
          this.#rebuild()
          this.set(id, value)
          return
        }
        ids[i] = id
        this.#values[i] = value
        this.#size++
        this.#used++
        return
      }
    }
  }

  /** Removes `id`; true if it was there. */
  delete(id: number): boolean {
    const ids = this.#ids
    const mask = this.#mask
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const at = ids[i]!
      if (at === id) {
        ids[i] = DELETED
        this.#values[i] = undefined
        this.#size--
        return true
      }
      if (at === EMPTY) return false
    }
  }

  /** The values, in no particular order: a copy, safe to use while entries leave. */
  values(): V[] {
    const out: V[] = []
    const ids = this.#ids
    const values = this.#values
    for (let i = 0; i < ids.length; i++) if (ids[i]! >= 0) out.push(values[i] as V)
    return out
  }

  /** Moves the entries to fresh slots, twice as many if they fill a quarter of the table, dropping the tombstones. */
  #rebuild(): void {
    const ids = this.#ids
    const values = this.#values
    const capacity = (this.#size + 1) * 4 > ids.length ? ids.length * 2 : ids.length
    this.#ids = new Float64Array(capacity).fill(EMPTY)
    this.#values = new Array<V | undefined>(capacity)
    this.#mask = capacity - 1
    this.#size = 0
    this.#used = 0
    for (let i = 0; i < ids.length; i++) {
      if (ids[i]! >= 0) this.set(ids[i]!, values[i] as V)
    }
    // The dropped table must not keep what it held (see above).
    values.fill(undefined)
  }
}
