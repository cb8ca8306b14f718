/**
 * Copying part of one byte array into another: what a replica does for every value it stores, sends or reads.
 *
 * `TypedArray.set` copies a whole array, so copying part of one takes a view of that part: a 96-byte object for every
 * value, on a path that runs for every replicated write on every node. A replica's values are mostly short (a cache's
 * 100-byte entries), and a short run copies faster as 32-bit words through DataViews the caller keeps, allocating
 * nothing: timed on this project's 2-vCPU host at random offsets in megabytes of memory, 100 bytes took 33–42 ns this
 * way against 63–67 ns for a view and `set`, and 16 bytes 16 ns against 105. From about 150 bytes on, `set` is faster
 * (its copy is native) and its view costs less in proportion, so longer runs keep it.
 *
 * Positions in a DataView are its own: a view made over a whole ArrayBuffer (`LastView`) counts from the start of that
 * ArrayBuffer, so an array's index `i` is at `array.byteOffset + i` in it.
 *
 * Gotchas: words are read and written as integers, never as floats, which could change the bits of a NaN.
 */

/** Runs up to this many bytes are copied word by word (`copyWords`); longer ones with `TypedArray.set`. */
export const WORD_COPY_MAX = 128

/** A DataView over exactly `bytes`: its positions are the array's indices. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Copies the bytes of `source` from `start` to `end` into `target` at `at`, all positions being the views' own. */
export function copyWords(target: DataView, at: number, source: DataView, start: number, end: number): void {
  const length = end - start
  let i = 0
  for (; i + 4 <= length; i += 4) target.setInt32(at + i, source.getInt32(start + i, true), true)
  for (; i < length; i++) target.setUint8(at + i, source.getUint8(start + i))
}

/**
 * Copies `source` from `start` to `end` into `target` at `at`, when no DataViews are at hand. A short run is copied
 * in a loop; the whole of `source` (a local write's value) needs no view either, 15–29 ns against 40–50 ns and the
 * view's object.
 */
export function copyBytes(target: Uint8Array, at: number, source: Uint8Array, start: number, end: number): void {
  if (start === 0 && end === source.length) {
    target.set(source, at)
    return
  }
  if (end - start > LOOP_COPY_BYTES) {
    target.set(new Uint8Array(source.buffer, source.byteOffset + start, end - start), at)
    return
  }
  for (let i = start; i < end; i++) target[at++] = source[i]!
}

/** Up to this many bytes `copyBytes` copies in a loop, where making a view costs more than the loop. */
const LOOP_COPY_BYTES = 32

/**
 * The DataView of the ArrayBuffer last asked for, over the whole of it: a run of copies from one received frame, or
 * into one of Node's Buffer pools, makes one view, not one per value. It keeps that ArrayBuffer alive until another
 * is asked for, so one is kept per use (a frame's memory, a pool's), and it is dropped with `forget`.
 */
export class LastView {
  #buffer: ArrayBufferLike | undefined = undefined
  #view: DataView | undefined = undefined

  of(buffer: ArrayBufferLike): DataView {
    if (buffer !== this.#buffer) {
      this.#view = new DataView(buffer)
      this.#buffer = buffer
    }
    return this.#view!
  }

  /** Lets the ArrayBuffer last asked for go. */
  forget(): void {
    this.#buffer = undefined
    this.#view = undefined
  }
}
