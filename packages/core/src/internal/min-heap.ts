/**
 * MinHeap: a binary heap ordered by a number, for timers kept apart from the clock (the replicated map's expiries and
 * tombstone collections): one clock timer for the earliest item instead of one per key.
 */
export class MinHeap<T> {
  readonly #at: number[] = []
  readonly #items: T[] = []

  get size(): number {
    return this.#at.length
  }

  /** The smallest `at`, if any. */
  peekAt(): number | undefined {
    return this.#at[0]
  }

  push(at: number, item: T): void {
    const a = this.#at
    const items = this.#items
    let i = a.length
    a.push(at)
    items.push(item)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (a[parent]! <= at) break
      a[i] = a[parent]!
      items[i] = items[parent]!
      i = parent
    }
    a[i] = at
    items[i] = item
  }

  /** Removes and returns the item with the smallest `at`. */
  pop(): T | undefined {
    const a = this.#at
    const items = this.#items
    if (a.length === 0) return undefined
    const top = items[0]
    const lastAt = a.pop()!
    const lastItem = items.pop()!
    const n = a.length
    if (n > 0) {
      let i = 0
      for (;;) {
        let child = 2 * i + 1
        if (child >= n) break
        if (child + 1 < n && a[child + 1]! < a[child]!) child++
        if (a[child]! >= lastAt) break
        a[i] = a[child]!
        items[i] = items[child]!
        i = child
      }
      a[i] = lastAt
      items[i] = lastItem
    }
    return top
  }

  clear(): void {
    this.#at.length = 0
    this.#items.length = 0
  }
}
