/**
 * Queue: a FIFO ring buffer that keeps its capacity, so a mailbox that fills and drains again and again does not
 * regrow at every burst (an array emptied with `length = 0` is freed and regrown, copying at each doubling). `shift`
 * is O(1), never `Array.prototype.shift`. Supports removal at an index, which selective receive needs.
 *
 * Hot path: every mailbox (the scheduler's run queue is a ChunkedQueue: chunked-queue.ts).
 * Gotchas: a ring kept for good is soon in V8's old generation, and storing a young object (a new message) in an
 * old array takes the write barrier's slow path, which records the slot for the next scavenge: a tenth of a local
 * send's time (bench/RESULTS.md, change 85). So once the ring has taken as many items as it holds and is empty, it
 * is swapped for a fresh array of the same capacity: one allocation per capacity's worth of pushes, in the young
 * generation, where storing a young message costs no more than a plain store. Only up to RENEW_MAX_CAPACITY: a larger
 * array is allocated in fresh pages of its own (V8's large objects), whose first touch cost a receiving node that
 * drained a ring of 65,536 slots per batch a fifth of its time (change 88).
 */
const INITIAL_CAPACITY = 16

/** The largest ring that is renewed: 32 KiB of slots, well inside V8's young generation. */
const RENEW_MAX_CAPACITY = 4096

export class Queue<T> {
  #items: (T | undefined)[] = new Array<T | undefined>(INITIAL_CAPACITY)
  /** Index of the first item. */
  #head = 0
  #length = 0
  /** Capacity - 1; capacity is a power of two so wrapping is a mask. */
  #mask = INITIAL_CAPACITY - 1
  /** Items pushed into the current array: once they reach its capacity, the array is renewed when next empty. */
  #pushed = 0

  get length(): number {
    return this.#length
  }

  push(item: T): void {
    if (this.#length === this.#items.length) this.grow()
    this.#items[(this.#head + this.#length) & this.#mask] = item
    this.#length++
    this.#pushed++
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head] = undefined
    this.#head = (this.#head + 1) & this.#mask
    if (--this.#length === 0 && this.#pushed > this.#mask && this.#mask < RENEW_MAX_CAPACITY) this.renew()
    return item
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head]
  }

  /** The item at `index` from the front. */
  at(index: number): T | undefined {
    return index < 0 || index >= this.#length ? undefined : this.#items[(this.#head + index) & this.#mask]
  }

  /** Removes and returns the item at `index` from the front, keeping the order of the rest. */
  removeAt(index: number): T | undefined {
    if (index === 0) return this.shift()
    if (index < 0 || index >= this.#length) return undefined
    const item = this.#items[(this.#head + index) & this.#mask]
    for (let i = index; i < this.#length - 1; i++) {
      this.#items[(this.#head + i) & this.#mask] = this.#items[(this.#head + i + 1) & this.#mask]
    }
    this.#items[(this.#head + this.#length - 1) & this.#mask] = undefined
    this.#length--
    return item
  }

  /** Removes every item `predicate` accepts. */
  removeWhere(predicate: (item: T) => boolean): void {
    const kept: T[] = []
    for (let i = 0; i < this.#length; i++) {
      const item = this.#items[(this.#head + i) & this.#mask] as T
      if (!predicate(item)) kept.push(item)
    }
    this.clear()
    for (const item of kept) this.push(item)
  }

  clear(): void {
    this.#items = new Array<T | undefined>(INITIAL_CAPACITY)
    this.#head = 0
    this.#length = 0
    this.#mask = INITIAL_CAPACITY - 1
    this.#pushed = 0
  }

  /** Swaps the empty ring for a young array of the same capacity (the Gotchas above). */
  private renew(): void {
    this.#items = new Array<T | undefined>(this.#items.length)
    this.#head = 0
    this.#pushed = 0
  }

  private grow(): void {
    const capacity = this.#items.length * 2
    const items = new Array<T | undefined>(capacity)
    for (let i = 0; i < this.#length; i++) items[i] = this.#items[(this.#head + i) & this.#mask]
    this.#items = items
    this.#head = 0
    this.#mask = capacity - 1
    this.#pushed = this.#length
  }
}
