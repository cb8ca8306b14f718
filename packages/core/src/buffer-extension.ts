/**
 * Buffers packed fast. msgpackr tries its extensions with `instanceof`, about 15 ns each, last registered first, for
 * every class instance it packs; a Buffer came after Cohort's five and msgpackr's six built-in ones, and packing a
 * 64-byte Buffer took 215 ns, most of a small remote message's cost. Registered last, this extension matches Buffers at
 * the first try and writes them as plain msgpack `bin`, the same bytes msgpackr writes itself: 41 ns. Extension type
 * 0x55 is reserved for it and never appears on the wire.
 *
 * Gotchas: msgpackr calls an extension's `pack` with an allocator, as it does for its own byte-array writer; its types
 * declare only the value. The codec tests pin the bytes written, so a msgpackr upgrade that changed this fails them.
 */
import { addExtension } from 'msgpackr'

/** What msgpackr passes an extension's `pack`: room for `size` bytes at `position` of `target`. */
export type Allocate = (size: number) => { target: Uint8Array; targetView: DataView; position: number }

let registered = false

/**
 * Registers the Buffer writer with msgpackr (once per process; msgpackr keeps extensions globally). Cohort's codec
 * calls it after its own extensions; code that packs with msgpackr directly in the same process, such as the
 * benchmark baselines, calls it to encode Buffers the way Cohort does.
 */
export function registerBufferExtension(): void {
  if (registered) return
  registered = true
  addExtension({ Class: Buffer, type: 0x55, pack: writeBin as unknown as (value: unknown) => Buffer, read: refuse })
}

/** Writes `bytes` as msgpack `bin` 8/16/32. */
function writeBin(bytes: Buffer, allocate: Allocate): undefined {
  const length = bytes.length
  if (length < 0x100) {
    const { target, position } = allocate(length + 2)
    target[position] = 0xc4
    target[position + 1] = length
    target.set(bytes, position + 2)
  } else if (length < 0x10000) {
    const { target, position } = allocate(length + 3)
    target[position] = 0xc5
    target[position + 1] = length >> 8
    target[position + 2] = length & 0xff
    target.set(bytes, position + 3)
  } else {
    const { target, targetView, position } = allocate(length + 5)
    target[position] = 0xc6
    targetView.setUint32(position + 1, length)
    target.set(bytes, position + 5)
  }
  return undefined
}

function refuse(): never {
  throw new Error('extension 0x55 is never sent (bytes travel as msgpack bin)')
}
