/**
 * IdTable: processes by their pid's id, in one array of slots (open addressing, linear probing), for tables whose
 * entries come and go all the time, as a call's reply port does.
 *
 * Why not a Map: V8 rehashes a Map into a new backing table once deleted entries fill it, and the old table keeps
 * its entries. Once a Map's table has lived long enough to reach the old generation, each new table is allocated there
 * too, and every discarded one holds the values it had at the time until the next full collection; a young-generation
 * collection treats them as live. With remote calls, most ports (and each one's call and promise) outlived their call
 * that way, and the caller spent a third of its time copying them. Here a deleted slot gives up its value at once (it
 * holds a tombstone), and a table outgrown or full of tombstones is emptied before it is dropped, so nothing a table
 * lets go of stays reachable through it.
 *
 * A slot holds only the value, which knows its own id (`pid.id`): a second array of ids doubled what a spawn storm
 * grows, and every new page of a table is a page fault (bench/RESULTS.md, change 73).
 *
 * Ids handed out in sequence (pid ids) take consecutive slots, and a new id's slot is usually the tombstone of the id
 * one table-length before it: lookups rarely probe and the table is rarely rebuilt. Hot path: every remote call.
 */

/** What a table holds: anything with a pid (the table reads only `pid.id`, a non-negative integer). */
export interface Keyed {
  readonly pid: { readonly id: number }
}

const INITIAL_CAPACITY = 64
/** The mark of a deleted slot: its id matches no lookup, and a probe goes past it. */
const TOMBSTONE: Keyed = Object.freeze({ pid: Object.freeze({ id: -1 }) })

export class IdTable<V extends Keyed> {
  #slots: (V | typeof TOMBSTONE | undefined)[] = new Array<V | undefined>(INITIAL_CAPACITY)
  #mask = INITIAL_CAPACITY - 1
  #size = 0
  /** Slots not empty: entries and tombstones. Kept to at most half the slots, so every probe meets an empty one. */
  #used = 0

  get size(): number {
    return this.#size
  }

  get(id: number): V | undefined {
    const slots = this.#slots
    const mask = this.#mask
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const at = slots[i]
      if (at === undefined) return undefined
      if (at.pid.id === id) return at as V
    }
  }

  /** Puts `value` under its id (replacing any value of that id). */
  set(value: V): void {
    const id = value.pid.id
    const slots = this.#slots
    const mask = this.#mask
    let tombstone = -1
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const at = slots[i]
      if (at === undefined) {
        if (tombstone !== -1) {
          slots[tombstone] = value
          this.#size++
          return
        }
        if ((this.#used + 1) * 2 > slots.length) {
          this.#rebuild()
          this.set(value)
          return
        }
        slots[i] = value
        this.#size++
        this.#used++
        return
      }
      if (at === TOMBSTONE) {
        if (tombstone === -1) tombstone = i
      } else if (at.pid.id === id) {
        slots[i] = value
        return
      }
    }
  }

  /** Removes the value of `id`; true if it was there. */
  delete(id: number): boolean {
    const slots = this.#slots
    const mask = this.#mask
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const at = slots[i]
      if (at === undefined) return false
      if (at.pid.id === id) {
        slots[i] = TOMBSTONE
        this.#size--
        return true
      }
    }
  }

  /** The values, in no particular order: a copy, safe to use while entries leave. */
  values(): V[] {
    const out: V[] = []
    for (const at of this.#slots) if (at !== undefined && at !== TOMBSTONE) out.push(at as V)
    return out
  }

  /** Moves the entries to fresh slots, twice as many if they fill a quarter of the table, dropping the tombstones. */
  #rebuild(): void {
    const slots = this.#slots
    const capacity = (this.#size + 1) * 4 > slots.length ? slots.length * 2 : slots.length
    this.#slots = new Array<V | undefined>(capacity)
    this.#mask = capacity - 1
    this.#size = 0
    this.#used = 0
    for (const at of slots) if (at !== undefined && at !== TOMBSTONE) this.set(at as V)
    // The dropped table must not keep what it held (see above).
    slots.fill(undefined)
  }
}
