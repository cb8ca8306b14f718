/**
 * Buffers packed fast. msgpackr tries its extensions with `instanceof`, about 15 ns each, last registered first, for
 * every class instance it packs; a Buffer came after Cohort's five and msgpackr's six built-in ones, and packing a
 * 64-byte Buffer took 215 ns, most of a small remote message's cost. Registered last, this extension matches Buffers at
 * the first try and writes them as plain msgpack `bin`, the same bytes msgpackr writes itself: 41 ns. Extension type
 * 0x55 is reserved for it and never appears on the wire.
 *
 * While splicing is on (codec.ts `encodeParts`), a Buffer of at least the splice size is not copied at all: only its
 * `bin` header is written, and the Buffer is recorded with the place its bytes belong, so a large message can leave
 * as the encoding around it plus the caller's own Buffer (the transport's fragments).
 *
 * Gotchas: msgpackr calls an extension's `pack` with an allocator, as it does for its own byte-array writer; its types
 * declare only the value. The codec tests pin the bytes written, so a msgpackr upgrade that changed this fails them.
 */
import { Buffer } from 'node:buffer'
import { addExtension } from 'msgpackr'

/** What msgpackr passes an extension's `pack`: room for `size` bytes at `position` of `target`. */
export type Allocate = (size: number) => { target: Uint8Array; targetView: DataView; position: number }

/** A Buffer left out of an encoding: its bytes belong at offset `at` of `target`, the buffer msgpackr wrote into. */
export interface Splice {
  readonly target: Uint8Array
  readonly at: number
  readonly bytes: Buffer
}

/** Buffers of at least this many bytes are spliced, not copied; Infinity while splicing is off. Module state, as
 * msgpackr's own is: an encoding is synchronous. */
let spliceMinBytes = Infinity
/** Shared while nothing was spliced, so an encoding without large Buffers allocates nothing here. */
const NONE: Splice[] = []
let splices = NONE

/** Until `stopSplicing`, Buffers of at least `minBytes` (and at least 64 KiB, the bin 32 size) are left out of what
 * is packed and recorded instead. */
export function startSplicing(minBytes: number): void {
  spliceMinBytes = Math.max(minBytes, 0x10000)
  splices = NONE
}

/** Ends splicing; returns the Buffers left out since `startSplicing`, in the order they were packed. */
export function stopSplicing(): Splice[] {
  spliceMinBytes = Infinity
  const done = splices
  splices = NONE
  return done
}

/**
 * `bytes` cut at each splice's place, with the spliced Buffer between the pieces; undefined when a splice's place is
 * not inside `bytes` (msgpackr moved the encoding to a new buffer after recording it).
 */
export function spliceInto(bytes: Uint8Array, recorded: readonly Splice[]): Uint8Array[] | undefined {
  const parts: Uint8Array[] = []
  let from = 0
  for (const splice of recorded) {
    const at = splice.target.byteOffset + splice.at - bytes.byteOffset
    if (splice.target.buffer !== bytes.buffer || at < from || at > bytes.length) return undefined
    if (at > from) parts.push(bytes.subarray(from, at))
    parts.push(splice.bytes)
    from = at
  }
  if (from < bytes.length) parts.push(bytes.subarray(from))
  return parts
}

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
  } else if (length >= spliceMinBytes) {
    const { target, targetView, position } = allocate(5)
    target[position] = 0xc6
    targetView.setUint32(position + 1, length)
    if (splices === NONE) splices = []
    splices.push({ target, at: position + 5, bytes })
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
