/**
 * ValueBlocks: the memory a replica keeps its byte values (Buffers and Uint8Arrays) in, written locally or received
 * from peers. Small values are copied one after the other into shared blocks of `BLOCK_BYTES`, as Node's own
 * `Buffer.allocUnsafe` pool does, and a value larger than half a block (or empty) gets memory of its own.
 *
 * A value in a block is kept as its block's index, offset and length on its holder (the map's entry), not as a
 * Buffer: a view object per value lived as long as its key's version, so every value survived the young generation
 * and was copied by the garbage collector twice, and those collections were the longest pauses of a busy replica.
 * Received values must be copied anyway (as decoded they are views into the whole frame they came in, which a stored
 * value must not keep alive), and local ones are copied too, so the map never shares memory with its caller.
 *
 * A block lives while any value in it does. So that a few long-lived keys cannot pin blocks whose other values were
 * overwritten long ago, each block counts its live bytes, and once fewer than a quarter of the bytes written into it
 * are still live values, those are copied into the current block: a replica holds at most four times its values'
 * bytes in use, and usually close to once. The emptied block's memory is then used again for a block opened later.
 * New memory per block was the largest part of a busy replica's garbage collection: V8 counts each Buffer's memory
 * as external and starts a full collection when enough has piled up, and a replica that opened new blocks at the
 * rate values were written (12 MB/s at 120,000 writes/s of 100 bytes) paused for one about every two seconds, 4 to
 * 37 ms each. So that this reuse is safe, no view into a block ever leaves this class: a read returns a copy
 * (`read`), from Node's pool.
 * Emptied blocks keep their memory only up to `spareBlocks(inUse)`, so a replica whose values shrank (keys deleted,
 * values made smaller) gives the rest back.
 *
 * Values are copied in and out through a DataView kept per block (byte-copy.ts), so a short value's copy allocates
 * nothing; the received frame a run of values comes from gets one view, kept until `releaseSource`.
 *
 * Hot path: `release` and `place` run for every byte value written or received that wins its merge, `read` for
 * every read.
 */
import { Buffer } from 'node:buffer'
import { LastView, WORD_COPY_MAX, copyBytes, copyWords, viewOf } from './byte-copy.ts'

/** Bytes of one block: the size of Node's Buffer pool up to Node 22 (64 KiB from Node 24 on). */
export const BLOCK_BYTES = 8 * 1024
/** Values up to this size share blocks; larger ones get memory of their own. */
const SHARED_MAX = BLOCK_BYTES >>> 1

/**
 * How a value must be kept: as it is (`PLACE_NONE`: a string, a codec value, none), or as bytes the store copies into
 * memory of its own and reads back as a Buffer (`PLACE_BUFFER`) or a plain Uint8Array (`PLACE_BYTES`).
 */
export type PlaceAs = 0 | 1 | 2
export const PLACE_NONE = 0
export const PLACE_BUFFER = 1
export const PLACE_BYTES = 2

/** How `value` is kept: bytes are copied (a Buffer or a plain Uint8Array, not another typed array), the rest is not. */
export function placeOf(value: unknown): PlaceAs {
  if (!(value instanceof Uint8Array)) return PLACE_NONE
  if (Buffer.isBuffer(value)) return PLACE_BUFFER
  return value.constructor === Uint8Array ? PLACE_BYTES : PLACE_NONE
}

/** `BlockHolder.block` of a value that is in no block. */
export const NO_BLOCK = -1

/**
 * What a block needs to know of a value's holder: where its bytes are (a block, or `value` itself), and whether the
 * holder is still in the replica.
 */
export interface BlockHolder {
  /** The value when it is not in a block: not bytes, or bytes in memory of their own. */
  value: unknown
  /** The index of the block its bytes are in, in its replica's ValueBlocks, or `NO_BLOCK`. */
  block: number
  /** Where in the block, and how many bytes. */
  at: number
  length: number
  /** Read back as a Buffer (else as a plain Uint8Array). */
  asBuffer: boolean
  /** False once the holder is gone from the replica. */
  held: boolean
}

/** What one block holds, for tests and inspection. */
export interface BlockState {
  /** Bytes written into the block so far. */
  readonly used: number
  /** Bytes of the block that are still the value of a holder placed in it. */
  readonly live: number
  /** Every holder placed here since it was opened (a holder whose value moved on is skipped when compacting). */
  readonly holders: readonly BlockHolder[]
}

/**
 * The blocks of one replica. A holder names its block by index, and each block's counts are kept in typed arrays by
 * that index: a write releases its key's previous bytes, which are anywhere among thousands of blocks, and counting
 * them off in a small array costs no cache miss, where loading the block's object did one per write. An index is
 * also a small integer, so storing it in a long-lived entry needs no write barrier, where a pointer to a young block
 * made the garbage collector record every such entry.
 */
export class ValueBlocks {
  /** Each block's memory, by index; undefined for a freed index whose memory was given back. */
  #bytes: (Buffer | undefined)[] = []
  /** A DataView of each block's memory, by index, over exactly the block. */
  #views: (DataView | undefined)[] = []
  /** The memory values are copied in from (a received frame), and the Buffer pool reads copy into. */
  readonly #sources = new LastView()
  readonly #reads = new LastView()
  /**
   * The holders placed in each block, the first `#placed[index]` of its list. A list stays with its index and is
   * written over when the index holds its next block: a new list per block, grown as values came in, survived a young
   * collection or two while its block filled, and was most of what a receiving replica's scavenges copied.
   */
  #holders: (BlockHolder | undefined)[][] = []
  #placed = new Int32Array(64)
  #used = new Int32Array(64)
  #live = new Int32Array(64)
  /** Freed indices that kept their memory, taken first by `#open`. */
  #spare: number[] = []
  /** Freed indices without memory. */
  #free: number[] = []
  #current: number

  constructor() {
    this.#current = this.#open()
  }

  /** The value `holder` keeps: a copy of its bytes when they are in a block, the value itself otherwise. */
  read(holder: BlockHolder): unknown {
    const index = holder.block
    if (index === NO_BLOCK) return holder.value
    const length = holder.length
    // From Node's pool, as Buffer.from(bytes) would be, without its argument checks.
    const copy = Buffer.allocUnsafe(length)
    if (length <= WORD_COPY_MAX) copyWords(this.#reads.of(copy.buffer), copy.byteOffset, this.#views[index]!, holder.at, holder.at + length)
    else copyBytes(copy, 0, this.#bytes[index]!, holder.at, holder.at + length)
    return holder.asBuffer ? copy : new Uint8Array(copy.buffer, copy.byteOffset, length)
  }

  /**
   * Copies the bytes `holder` keeps in a block into `target` at `at`, `targetView` being a DataView over exactly
   * `target` (the map's outgoing batches).
   */
  copyOut(holder: BlockHolder, target: Uint8Array, targetView: DataView, at: number): void {
    const index = holder.block
    const start = holder.at
    const end = start + holder.length
    if (holder.length <= WORD_COPY_MAX) copyWords(targetView, at, this.#views[index]!, start, end)
    else copyBytes(target, at, this.#bytes[index]!, start, end)
  }

  /** Lets go of the memory values were last copied in from (a received frame, once its batch is applied). */
  releaseSource(): void {
    this.#sources.forget()
  }

  /** The ArrayBuffer of the block `holder`'s bytes are in (for tests: whether a block's memory is used again). */
  memoryOf(holder: BlockHolder): ArrayBufferLike {
    return this.#bytes[holder.block]!.buffer
  }

  /** What block `index` holds. */
  state(index: number): BlockState {
    const holders = this.#holders[index]!.slice(0, this.#placed[index]) as BlockHolder[]
    return { used: this.#used[index]!, live: this.#live[index]!, holders }
  }

  /**
   * Makes a copy of `bytes` (from `start` to `end`) the value of `holder`, read back as a Buffer when `asBuffer`, else
   * as a plain Uint8Array: in a block or, when large or empty, in memory of its own. The holder's previous value must
   * be released first.
   */
  place(holder: BlockHolder, bytes: Uint8Array, asBuffer: boolean, start = 0, end = bytes.byteLength): void {
    this.#place(holder, bytes, undefined, asBuffer, start, end)
  }

  /** `place` from any memory, or from a block's when `blockView` is that block's view (compaction). */
  #place(holder: BlockHolder, bytes: Uint8Array, blockView: DataView | undefined, asBuffer: boolean, start: number, end: number): void {
    const length = end - start
    // An empty value takes no room, so a block would never fill with them and never let go of their holders.
    if (length > SHARED_MAX || length === 0) {
      const own = asBuffer ? Buffer.allocUnsafeSlow(length) : new Uint8Array(length)
      copyBytes(own, 0, bytes, start, end)
      holder.value = own
      holder.block = NO_BLOCK
      return
    }
    let index = this.#current
    if (this.#used[index]! + length > BLOCK_BYTES) {
      const full = index
      index = this.#current = this.#open()
      // The full block may be mostly dead already (a hot key's versions, overwritten while it was current), and then
      // no later release of its few live values need come to free it.
      if (this.#live[full]! * 4 < this.#used[full]!) this.#compact(full)
    }
    const at = this.#used[index]!
    const block = this.#bytes[index]!
    if (start === 0 && end === bytes.length) block.set(bytes, at)
    else if (length > WORD_COPY_MAX) copyBytes(block, at, bytes, start, end)
    else if (blockView !== undefined) copyWords(this.#views[index]!, at, blockView, start, end)
    else copyWords(this.#views[index]!, at, this.#sources.of(bytes.buffer), bytes.byteOffset + start, bytes.byteOffset + end)
    this.#used[index] = at + length
    this.#live[index]! += length
    this.#holders[index]![this.#placed[index]!++] = holder
    holder.value = undefined
    holder.block = index
    holder.at = at
    holder.length = length
    holder.asBuffer = asBuffer
  }

  /**
   * Called before `holder`'s value changes or the holder leaves the replica: its bytes stop counting in their block,
   * and a block that is mostly dead has its live values moved out so it can be collected.
   */
  release(holder: BlockHolder): void {
    const index = holder.block
    if (index === NO_BLOCK) return
    holder.block = NO_BLOCK
    const live = (this.#live[index]! -= holder.length)
    if (live * 4 < this.#used[index]! && index !== this.#current) this.#compact(index)
  }

  /** Forgets every block (the replica was cleared). */
  clear(): void {
    this.#bytes = []
    this.#views = []
    this.#sources.forget()
    this.#holders = []
    this.#placed.fill(0)
    this.#used.fill(0)
    this.#live.fill(0)
    this.#spare = []
    this.#free = []
    this.#current = this.#open()
  }

  /** Blocks holding values now (the one being filled among them), and emptied blocks kept for reuse. */
  counts(): { inUse: number; spare: number } {
    const spare = this.#spare.length
    return { inUse: this.#bytes.length - spare - this.#free.length, spare }
  }

  /** A new empty block: a freed index with its memory, one without, or the next one. */
  #open(): number {
    const index = this.#spare.pop() ?? this.#free.pop() ?? this.#bytes.length
    if (index >= this.#used.length) {
      this.#used = doubled(this.#used)
      this.#live = doubled(this.#live)
      this.#placed = doubled(this.#placed)
    }
    if (this.#bytes[index] === undefined) {
      const bytes = Buffer.allocUnsafeSlow(BLOCK_BYTES)
      this.#bytes[index] = bytes
      this.#views[index] = viewOf(bytes)
    }
    this.#holders[index] ??= []
    this.#placed[index] = 0
    this.#used[index] = 0
    this.#live[index] = 0
    return index
  }

  /** Moves the live values of block `index` into the current block and frees the block. */
  #compact(index: number): void {
    const holders = this.#holders[index]!
    const bytes = this.#bytes[index]!
    const view = this.#views[index]!
    const placed = this.#placed[index]!
    for (let i = 0; i < placed; i++) {
      const h = holders[i]!
      // Cleared as it goes, so the list kept for the index's next block holds no entry alive.
      holders[i] = undefined
      if (h.block !== index) continue
      h.block = NO_BLOCK
      if (!h.held) continue
      this.#place(h, bytes, view, h.asBuffer, h.at, h.at + h.length)
    }
    // Freed only now, so the values above cannot be moved into the block they leave. No view of it is out (`read`
    // copies), so its memory can hold the next block opened.
    this.#placed[index] = 0
    this.#used[index] = 0
    this.#live[index] = 0
    const { inUse, spare } = this.counts()
    if (spare < spareBlocks(inUse - 1)) {
      this.#spare.push(index)
    } else {
      this.#bytes[index] = undefined
      this.#views[index] = undefined
      this.#free.push(index)
    }
  }
}

/** A copy of `counts` twice as long, the new half zero: the per-block counts grow with the block indices. */
function doubled(counts: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(counts.length * 2)
  grown.set(counts)
  return grown
}

/**
 * How many emptied blocks a replica keeps the memory of while `inUse` blocks hold values: enough that a busy replica,
 * which empties a block about as often as it fills one, never waits on the allocator, and few enough that one whose
 * values shrank gives the rest back.
 */
export function spareBlocks(inUse: number): number {
  return Math.max(16, inUse >>> 3)
}
