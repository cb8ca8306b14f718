/**
 * Queue: a FIFO over an array with a moving head, compacted in bulk, so `shift` is O(1) amortised (never
 * `Array.prototype.shift` on a long array). Supports removal at an index, which selective receive needs.
 *
 * Hot path: every mailbox and the scheduler's run queue.
 */
export class Queue<T> {
  #items: (T | undefined)[] = []
  #head = 0

  get length(): number {
    return this.#items.length - this.#head
  }

  push(item: T): void {
    this.#items.push(item)
  }

  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    // Compact only when the dead prefix is both large and most of the array: amortised O(1).
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    } else if (this.#head === this.#items.length) {
      this.#items.length = 0
      this.#head = 0
    }
    return item
  }

  peek(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined
  }

  /** The item at `index` from the front. */
  at(index: number): T | undefined {
    return this.#items[this.#head + index]
  }

  /** Removes and returns the item at `index` from the front. */
  removeAt(index: number): T | undefined {
    if (index === 0) return this.shift()
    const [item] = this.#items.splice(this.#head + index, 1)
    return item
  }

  /** Removes every item `predicate` accepts. */
  removeWhere(predicate: (item: T) => boolean): void {
    const kept: T[] = []
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T
      if (!predicate(item)) kept.push(item)
    }
    this.#items = kept
    this.#head = 0
  }

  clear(): void {
    this.#items = []
    this.#head = 0
  }
}
