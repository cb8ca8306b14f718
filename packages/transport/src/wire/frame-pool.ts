/**
 * Large frames, reused once the socket has written them. A node sending large messages wrote each of its frames
 * (up to `flushThresholdBytes`, 256 KiB by default) into a fresh Buffer: memory outside V8's heap, which V8 counts
 * towards a full collection. A sender of 64 KiB messages allocated ~2.6 GB/s that way and ran a mark-compact every
 * ~140 ms for a heap of 10 MB; with the frames reused it allocates nothing large per message.
 *
 * A frame goes back to the pool only when the socket's write callback for it has run (the kernel has its bytes), and
 * writes complete in order, so the frame batcher keeps the frames in flight in a queue and releases the oldest at each
 * callback. Small frames are not pooled (Node's allocator slices them from its own shared pool already), nor are
 * frames larger than the pool's size (a first entry may be up to a fragment).
 *
 * One pool per frame size, shared by every connection of the process and holding at most `MAX_FREE` frames: a node
 * with many peers does not keep a frame per peer.
 */
import { Buffer } from 'node:buffer'

/** Frames below this size are allocated as before: reusing them would save little. */
export const POOLED_FRAME_MIN_BYTES = 64 * 1024

/** Frames kept free per pool: enough for the frames of one connection in flight, few enough to be cheap when idle. */
const MAX_FREE = 4

/** Reusable frame buffers of one size. */
export class FramePool {
  /** Bytes of every pooled frame's memory: the largest frame it serves. */
  readonly frameBytes: number
  readonly #free: Buffer[] = []

  constructor(frameBytes: number) {
    this.frameBytes = frameBytes
  }

  /** Frames waiting to be reused. */
  get freeCount(): number {
    return this.#free.length
  }

  /**
   * A buffer of exactly `size` bytes to write a frame into. Its `buffer` is pooled memory when `size` is within the
   * pool's range: give the frame back (`release`) once the socket is done with it, and never after.
   */
  take(size: number): Buffer {
    if (!this.pools(size)) return Buffer.allocUnsafe(size)
    const base = this.#free.pop() ?? Buffer.allocUnsafeSlow(this.frameBytes)
    return base.subarray(0, size)
  }

  /** True when a frame of `size` bytes comes from this pool's memory (so it must be released after its write). */
  pools(size: number): boolean {
    return size >= POOLED_FRAME_MIN_BYTES && size <= this.frameBytes
  }

  /** Takes back a frame from `take` (one this pool `pools`) whose write has completed. */
  release(frame: Buffer): void {
    if (this.#free.length < MAX_FREE) this.#free.push(Buffer.from(frame.buffer, 0, this.frameBytes))
  }
}

const pools = new Map<number, FramePool>()

/** The process's pool for frames of up to `frameBytes`. */
export function sharedFramePool(frameBytes: number): FramePool {
  let pool = pools.get(frameBytes)
  if (pool === undefined) {
    pool = new FramePool(frameBytes)
    pools.set(frameBytes, pool)
  }
  return pool
}
