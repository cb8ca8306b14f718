/**
 * ChunkedQueue: a FIFO kept in chunks of CHUNK_SIZE slots, each a ring buffer, linked oldest to newest. It grows by
 * adding a chunk and copies nothing; a queue that stays short keeps turning in its one chunk and allocates nothing.
 *
 * Why not the ring buffer of queue.ts: it doubles, copying every item into an array twice the size. The scheduler's
 * run queue holds every actor waiting for a turn, and a storm of 100,000 spawns queues each new actor for its `init`:
 * the ring grew to 131,072 slots one doubling at a time, each a fresh array whose every page was a page fault. Only
 * `push`, `shift` and `length`: the run queue needs nothing else.
 *
 * Hot path: the scheduler's run queue.
 */
const CHUNK_SIZE = 1024
const MASK = CHUNK_SIZE - 1

class Chunk<T> {
  readonly items: (T | undefined)[] = new Array<T | undefined>(CHUNK_SIZE)
  /** Index of the first item. */
  head = 0
  length = 0
  next: Chunk<T> | null = null
}

export class ChunkedQueue<T> {
  /** The chunk items leave from. Empty only when it is also the tail. */
  #head = new Chunk<T>()
  /** The chunk items join. */
  #tail = this.#head
  #length = 0

  get length(): number {
    return this.#length
  }

  push(item: T): void {
    let tail = this.#tail
    if (tail.length === CHUNK_SIZE) {
      tail = tail.next = new Chunk<T>()
      this.#tail = tail
    }
    tail.items[(tail.head + tail.length) & MASK] = item
    tail.length++
    this.#length++
  }

  shift(): T | undefined {
    const head = this.#head
    if (head.length === 0) return undefined
    const item = head.items[head.head]
    head.items[head.head] = undefined
    head.head = (head.head + 1) & MASK
    head.length--
    this.#length--
    if (head.length === 0 && head.next !== null) this.#head = head.next
    return item
  }
}
