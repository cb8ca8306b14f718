/**
 * ValueBlocks: the memory a replica keeps its byte values (Buffers and Uint8Arrays) in, written locally or received
 * from peers. Small values are copied one after the other into shared blocks of `BLOCK_BYTES`, as Node's own
 * `Buffer.allocUnsafe` pool does, and a value larger than half a block (or empty) gets memory of its own.
 *
 * A value in a block is kept as its block, offset and length on its holder (the map's entry), not as a Buffer: a view
 * object per value lived as long as its key's version, so every value survived the young generation and was copied
 * by the garbage collector twice, and those collections were the longest pauses of a busy replica. A read makes a new
 * view (`valueOf`), which dies young unless the reader keeps it. Received values must be copied anyway (as decoded
 * they are views into the whole frame they came in, which a stored value must not keep alive), and local ones are
 * copied too, so the map never shares memory with its caller.
 *
 * A block lives while any value in it does. So that a few long-lived keys cannot pin blocks whose other values were
 * overwritten long ago, each block counts its live bytes, and once fewer than a quarter of the bytes written into it
 * are still live values, those are copied into the current block and the old block is left to the garbage
 * collector: a replica holds at most four times its values' bytes, and usually close to once. A block's bytes are
 * never written twice, so a view read earlier keeps seeing the value it was read as.
 *
 * Gotchas: a view read from the map keeps its block (at most `BLOCK_BYTES`) alive, as any pooled Buffer does: copy it
 * (`Buffer.from(value)`) to keep it long.
 *
 * Hot path: `place` runs for every byte value written or received that wins its merge, `valueOf` for every read.
 */
import { Buffer } from 'node:buffer'

/** Bytes of one block: Node's Buffer pool size, so a value read from the map pins no more than a pooled Buffer does. */
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

/**
 * What a block needs to know of a value's holder: where its bytes are (a block, or `value` itself), and whether the
 * holder is still in the replica.
 */
export interface BlockHolder {
  /** The value when it is not in a block: not bytes, or bytes in memory of their own. */
  value: unknown
  /** The block its bytes are in, if they are. */
  block: ValueBlock | undefined
  /** Where in the block, and how many bytes. */
  at: number
  length: number
  /** Read back as a Buffer (else as a plain Uint8Array). */
  asBuffer: boolean
  /** False once the holder is gone from the replica. */
  held: boolean
}

/** One shared block and the holders of the values in it. */
export class ValueBlock {
  /** The block's memory, as a Buffer so values are copied in and out of it natively. */
  readonly bytes: Buffer = Buffer.allocUnsafeSlow(BLOCK_BYTES)
  /** Bytes written into the block so far. */
  used = 0
  /** Bytes of the block that are still the value of a holder placed in it. */
  live = 0
  /** Every holder placed here; a holder whose value moved on is skipped when the block is compacted. */
  holders: BlockHolder[] = []
}

/** The value `holder` keeps: a new view when its bytes are in a block. */
export function valueOf(holder: BlockHolder): unknown {
  const block = holder.block
  if (block === undefined) return holder.value
  return holder.asBuffer ? Buffer.from(block.bytes.buffer, holder.at, holder.length) : new Uint8Array(block.bytes.buffer, holder.at, holder.length)
}

/** The blocks of one replica. */
export class ValueBlocks {
  #current: ValueBlock = new ValueBlock()

  /**
   * Makes a copy of `bytes` the value of `holder`, read back as a Buffer when `asBuffer`, else as a plain Uint8Array:
   * in a block or, when large or empty, in memory of its own. The holder's previous value must be released first.
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
    block.bytes.set(bytes, at)
    block.used = at + length
    block.live += length
    block.holders.push(holder)
    holder.value = undefined
    holder.block = block
    holder.at = at
    holder.length = length
    holder.asBuffer = asBuffer
  }

  /**
   * Called before `holder`'s value changes or the holder leaves the replica: its bytes stop counting in their block,
   * and a block that is mostly dead has its live values moved out so it can be collected.
   */
  release(holder: BlockHolder): void {
    const block = holder.block
    if (block === undefined) return
    holder.block = undefined
    block.live -= holder.length
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
      this.place(h, block.bytes.subarray(h.at, h.at + h.length), h.asBuffer)
    }
  }
}
