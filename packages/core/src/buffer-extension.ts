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
 * While attaching is on (codec.ts `encodeAttached`), a Buffer of at least the attach size is not written at all: in its
 * place goes a placeholder, extension 0x56 holding the Buffer's length (`d6 56` and a 4-byte big-endian length), and
 * the Buffer is recorded as an attachment, for a transport to carry beside the encoding. Decoding resolves each
 * placeholder, in order, to the attachment given with the bytes (`decodeAttached`), as it came, never copied.
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

/** Buffers from this size up to `attachMaxBytes` become attachments; Infinity while attaching is off. */
let attachMinBytes = Infinity
let attachMaxBytes = Infinity
let attachments: Buffer[] = []
/** A Buffer over `attachMaxBytes` was met while attaching: the encoding is unusable (only its header was written). */
let attachOverflow = false

/** Until `stopAttaching`, Buffers of `minBytes` to `maxBytes` are left out of what is packed, as attachments. */
export function startAttaching(minBytes: number, maxBytes: number): void {
  attachMinBytes = Math.max(minBytes, 1)
  attachMaxBytes = maxBytes
  attachments = []
  attachOverflow = false
}

/**
 * Ends attaching; returns the Buffers left out since `startAttaching`, in the order they were packed, or undefined
 * when one was over the maximum (the encoding is then to be discarded).
 */
export function stopAttaching(): Buffer[] | undefined {
  attachMinBytes = attachMaxBytes = Infinity
  const done = attachments
  attachments = []
  return attachOverflow ? undefined : done
}

/** The extension type of an attachment's placeholder. */
export const ATTACHMENT_EXTENSION = 0x56

/** The attachments of the bytes being decoded (module state, as msgpackr's own: a decode is synchronous). */
let incoming: readonly Uint8Array[] | undefined
let incomingNext = 0

/** Makes the placeholders of the next decode resolve to `given`, in order; `endIncoming` checks all were used. */
export function beginIncoming(given: readonly Uint8Array[]): void {
  incoming = given
  incomingNext = 0
}

/** How many of the attachments given to `beginIncoming` the decode used; clears them. */
export function endIncoming(): number {
  const used = incomingNext
  incoming = undefined
  incomingNext = 0
  return used
}

/** The placeholder's reader: the next attachment, which must have the length the placeholder says. */
function readAttachment(data: Uint8Array): Uint8Array {
  if (data.length !== 4) throw new Error(`attachment placeholder of ${data.length} bytes, expected 4`)
  const length = ((data[0] as number) * 0x1000000 + ((data[1] as number) << 16) + ((data[2] as number) << 8) + (data[3] as number)) >>> 0
  if (incoming === undefined || incomingNext >= incoming.length) throw new Error('attachment placeholder without an attachment')
  const bytes = incoming[incomingNext++] as Uint8Array
  if (bytes.length !== length) throw new Error(`attachment of ${bytes.length} bytes where its placeholder says ${length}`)
  return bytes
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
  addExtension({ type: ATTACHMENT_EXTENSION, unpack: readAttachment })
}

/** Writes `bytes` as msgpack `bin` 8/16/32. */
function writeBin(bytes: Buffer, allocate: Allocate): undefined {
  const length = bytes.length
  if (length >= attachMinBytes) {
    const { target, targetView, position } = allocate(6)
    target[position] = 0xd6
    target[position + 1] = ATTACHMENT_EXTENSION
    targetView.setUint32(position + 2, length)
    if (length > attachMaxBytes) attachOverflow = true
    else attachments.push(bytes)
    return undefined
  }
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
