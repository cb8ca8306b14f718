/**
 * ValueBlocks: the memory a replica keeps the byte values (Buffers and Uint8Arrays) received from its peers in. A
 * received value arrives as a view into the whole frame it came in, which a stored value must not keep alive, so it
 * is copied; copying each one into an ArrayBuffer of its own cost a receiver more than everything else it does per
 * entry (an ArrayBuffer is a native allocation the garbage collector tracks one by one). Small values are instead
 * copied one after the other into shared blocks of `BLOCK_BYTES`, as Node's own `Buffer.allocUnsafe` pool does, and
 * a value larger than half a block (or empty) gets memory of its own.
 *
 * A block lives while any value in it does. So that a few long-lived keys cannot pin blocks whose other values were
 * overwritten long ago, each block counts its live bytes, and once fewer than a quarter of the bytes written into it
 * are still live values, those are copied into the current block and the old block is left to the garbage
 * collector: a replica holds at most four times its received values' bytes, and usually close to once.
 *
 * Gotchas: a value read from the map is a view into a block; code that keeps one long after its key changed keeps
 * the block (at most `BLOCK_BYTES`) alive too, as with any pooled Buffer: copy it (`Buffer.from(value)`) to keep it.
 *
 * Hot path: `place` runs for every received byte value that wins its merge.
 */
import { Buffer } from 'node:buffer'

/** Bytes of one block: Node's Buffer pool size, so a value read from the map pins no more than a pooled Buffer does. */
export const BLOCK_BYTES = 8 * 1024
/** Values up to this size share blocks; larger ones get memory of their own. */
const SHARED_MAX = BLOCK_BYTES >>> 1

/**
 * How a value decoded from a peer must be kept: as it is (`PLACE_NONE`: a string, a codec value, none), or as a view of the
 * received frame that the store copies, if it keeps the entry, into a Buffer (`PLACE_BUFFER`) or a plain Uint8Array
 * (`PLACE_BYTES`) of its own.
 */
export type PlaceAs = 0 | 1 | 2
export const PLACE_NONE = 0
export const PLACE_BUFFER = 1
export const PLACE_BYTES = 2

/** What a block needs to know of a value's holder: the value, and which block it is in now. */
export interface BlockHolder {
  value: unknown
  block: ValueBlock | undefined
  /** False once the holder is gone from the replica. */
  held: boolean
}

/** One shared block and the holders of the values in it. */
export class ValueBlock {
  readonly buffer: ArrayBuffer = new ArrayBuffer(BLOCK_BYTES)
  /** Bytes written into the block so far. */
  used = 0
  /** Bytes of the block that are still the value of a holder placed in it. */
  live = 0
  /** Every holder placed here; a holder whose value moved on is skipped when the block is compacted. */
  holders: BlockHolder[] = []
}

/** The blocks of one replica. */
export class ValueBlocks {
  #current: ValueBlock = new ValueBlock()

  /**
   * Makes `bytes` (a view of a received frame) the value of `holder`: a Buffer when `asBuffer`, else a plain
   * Uint8Array, in a block or, when large, in memory of its own. The holder's previous value must be released first.
   */
  place(holder: BlockHolder, bytes: Uint8Array, asBuffer: boolean): void {
    const length = bytes.byteLength
    // An empty value takes no room, so a block would never fill with them and never let go of their holders.
    if (length > SHARED_MAX || length === 0) {
      const own = asBuffer ? Buffer.allocUnsafeSlow(length) : new Uint8Array(length)
      own.set(bytes)
      holder.value = own
      holder.block = undefined
      return
    }
    let block = this.#current
    if (block.used + length > BLOCK_BYTES) {
      const full = block
      block = this.#current = new ValueBlock()
      // The full block may be mostly dead already (a hot key's versions, overwritten while it was current), and then
      // no later release of its few live values need come to free it.
      if (full.live * 4 < full.used) this.#compact(full)
    }
    const at = block.used
    const view = asBuffer ? Buffer.from(block.buffer, at, length) : new Uint8Array(block.buffer, at, length)
    view.set(bytes)
    block.used = at + length
    block.live += length
    block.holders.push(holder)
    holder.value = view
    holder.block = block
  }

  /**
   * Called before `holder`'s value changes or the holder leaves the replica: its bytes stop counting in their block,
   * and a block that is mostly dead has its live values moved out so it can be collected.
   */
  release(holder: BlockHolder): void {
    const block = holder.block
    if (block === undefined) return
    holder.block = undefined
    block.live -= (holder.value as Uint8Array).byteLength
    if (block.live * 4 < block.used && block !== this.#current) this.#compact(block)
  }

  /** Forgets every block (the replica was cleared). */
  clear(): void {
    this.#current = new ValueBlock()
  }

  #compact(block: ValueBlock): void {
    const holders = block.holders
    block.holders = []
    block.live = 0
    for (const h of holders) {
      if (h.block !== block) continue
      h.block = undefined
      if (!h.held) continue
      const old = h.value as Uint8Array
      this.place(h, old, Buffer.isBuffer(old))
    }
  }
}
