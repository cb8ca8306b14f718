/**
 * The message codec: msgpack (msgpackr) with extension types for Pid, Ref, Down, Exit and errors. It lives in core
 * because encoding is not I/O: `strictMessages` round-trips every local message through it, and the transport
 * frames the same bytes. Objects stay objects and Maps stay Maps (msgpackr records carry their own definitions, so
 * every encoded value decodes on its own); Set, Date, BigInt and typed arrays survive; errors cross as their data.
 *
 * Hot path: encode/decode of every remote message.
 * Gotchas: the extensions are registered with msgpackr once per process (msgpackr keeps them globally); they use the
 * extension type numbers 0x50–0x55. Buffers are written by an extension of their own, registered last so that
 * msgpackr tries it first (buffer-extension.ts).
 */
import { Buffer } from 'node:buffer'
import { Packr, Unpackr, addExtension } from 'msgpackr'
import {
  beginIncoming,
  endIncoming,
  registerBufferExtension,
  spliceInto,
  startAttaching,
  startSplicing,
  stopAttaching,
  stopSplicing,
} from './buffer-extension.ts'
import type { Allocate, Splice } from './buffer-extension.ts'
import { CohortError } from './errors.ts'
import { internNodeName } from './node-name.ts'
import { Pid } from './pid.ts'
import { Ref } from './ref.ts'
import { Down, Exit } from './signals.ts'

/** A value could not be encoded, or bytes could not be decoded. */
export class NotSerializableError extends CohortError {
  override name = 'NotSerializableError'
  /** Where in the message the problem is, like `message.user.save`. */
  readonly path: string
  /** What was found there, like `a function` or `an instance of class Socket`. */
  readonly found: string
  constructor(path: string, found: string, options?: ErrorOptions) {
    super(
      'COHORT_ERR_NOT_SERIALIZABLE',
      `${path} is ${found}, which cannot cross the wire; send plain data (objects, arrays, Map, Set, Date, ` +
        `bigint, typed arrays, errors, Pid, Ref)`,
      options,
    )
    this.path = path
    this.found = found
  }
}

/** Bytes that are not a valid encoded message. */
export class MalformedMessageError extends CohortError {
  override name = 'MalformedMessageError'
  constructor(message: string, options?: ErrorOptions) {
    super('COHORT_ERR_MALFORMED_MESSAGE', message, options)
  }
}

/** Encodes and decodes messages. Create one per connection (msgpackr reuses its buffers). */
export interface MessageCodec {
  /**
   * `sizeHint`, when given, is an upper bound of the encoded size (a too-small one costs only speed): a large message
   * is then encoded into a buffer of exactly that size.
   */
  encode(value: unknown, sizeHint?: number): Uint8Array
  /**
   * Encodes `value` as parts whose concatenation is its encoding, where every Buffer of at least `spliceBytes` (and
   * at least 64 KiB) is a part of its own, the caller's Buffer itself, never copied. For large messages that are
   * written out in pieces anyway: a 1 MiB Buffer is not copied into an encoding first. The parts stay valid until
   * the Buffers in `value` change. `sizeHint` as for `encode`.
   */
  encodeParts(value: unknown, spliceBytes: number, sizeHint?: number): Uint8Array[]
  /**
   * Encodes `value` with every Buffer of `minBytes` to `maxBytes` left out as an attachment (the caller's Buffer
   * itself, never copied) and a 6-byte placeholder in its place (extension 0x56: its length). A transport carries
   * the attachments beside the encoding and the receiver decodes with `decodeAttached`. Undefined when `value` holds
   * a Buffer over `maxBytes`: such a message is to be encoded otherwise (`encodeParts`). `sizeHint` as for `encode`.
   */
  encodeAttached(value: unknown, minBytes: number, maxBytes: number, sizeHint?: number): AttachedEncoding | undefined
  /**
   * Decodes the one msgpack value in `bytes`, or in `bytes[start, end)` when given: a frame's entries are decoded
   * where they lie, without a view of each (msgpackr keeps one DataView per source Buffer, so a view per entry also
   * cost a DataView per entry). A value that ends before `end` or runs past it throws `MalformedMessageError`.
   */
  decode(bytes: Uint8Array, start?: number, end?: number): unknown
  /**
   * Decodes bytes from `encodeAttached`: each placeholder becomes the next of `attachments` (which must have the
   * length it says), as given, not copied. Every attachment must be used. @throws MalformedMessageError
   */
  decodeAttached(bytes: Uint8Array, attachments: readonly Uint8Array[]): unknown
}

/** A value encoded with its large Buffers left out (`encodeAttached`). */
export interface AttachedEncoding {
  /** The encoding, with a placeholder where each attachment belongs. */
  readonly bytes: Uint8Array
  /** The Buffers left out, in the order of their placeholders. */
  readonly attachments: readonly Buffer[]
}

const CODEC_OPTIONS = Object.freeze({
  useRecords: true,
  mapsAsObjects: false,
  moreTypes: true,
  int64AsType: 'bigint' as const,
})

/** Pid and Ref travel as `[node, id, creation]`; anything else is hostile or broken input. */
function checkedTriple(kind: 'Pid' | 'Ref', data: unknown): [string, number, number] {
  if (
    !Array.isArray(data) ||
    data.length !== 3 ||
    typeof data[0] !== 'string' ||
    !Number.isSafeInteger(data[1]) ||
    !Number.isSafeInteger(data[2])
  ) {
    throw new MalformedMessageError(`malformed ${kind} extension: expected [node: string, id: int, creation: int]`)
  }
  return data as [string, number, number]
}

function checkedPid(data: unknown): Pid {
  const [node, id, creation] = checkedTriple('Pid', data)
  return new Pid(internNodeName(node), id, creation)
}

function checkedRef(data: unknown): Ref {
  const [node, id, creation] = checkedTriple('Ref', data)
  return new Ref(internNodeName(node), id, creation)
}

function errorToData(error: Error): Record<string, unknown> {
  const data: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack }
  for (const key of Object.keys(error)) data[key] = (error as unknown as Record<string, unknown>)[key]
  if (error.cause !== undefined) data['cause'] = error.cause
  return data
}

function dataToError(data: unknown): Error {
  if (typeof data !== 'object' || data === null || typeof (data as { message?: unknown }).message !== 'string') {
    throw new MalformedMessageError('malformed Error extension: expected { name, message, ... }')
  }
  const { name, message, stack, cause, ...rest } = data as Record<string, unknown>
  const error = new Error(message as string, cause === undefined ? undefined : { cause })
  if (typeof name === 'string') error.name = name
  if (typeof stack === 'string') error.stack = stack
  Object.assign(error, rest)
  return error
}

/**
 * Writes a Pid or Ref as msgpackr writes an extension with a `write` function returning `[node, id, creation]` (a
 * one-byte tag `d4 <type> 00`, then the array), without allocating the array: pids travel in every call, monitor
 * and exit, and the arrays were a tenth of a remote call's garbage. The codec tests pin the bytes.
 */
function tripleWriter(type: number): (value: unknown) => Buffer {
  const write = (v: Pid | Ref, allocate: Allocate, pack: (value: unknown) => void): undefined => {
    const { target, position } = allocate(4)
    target[position] = 0xd4
    target[position + 1] = type
    target[position + 2] = 0
    target[position + 3] = 0x93 // a 3-element array follows
    pack(v.node)
    pack(v.id)
    pack(v.creation)
    return undefined
  }
  // msgpackr calls `pack` with an allocator and its own packer, as for its built-in Set writer; its types declare
  // only the value.
  return write as unknown as (value: unknown) => Buffer
}

/** The size of the buffer the encoder gets after a large message. */
const FRESH_BUFFER_BYTES = 64 * 1024

/** Above this, the encoder's buffer is dropped after use. */
const LARGE_MESSAGE_BYTES = 1024 * 1024

let registered = false
function registerExtensions(): void {
  if (registered) return
  registered = true
  addExtension({ Class: Pid, type: 0x50, pack: tripleWriter(0x50), read: checkedPid })
  addExtension({ Class: Ref, type: 0x51, pack: tripleWriter(0x51), read: checkedRef })
  addExtension({
    Class: Down,
    type: 0x52,
    write: (d: Down) => [d.ref, d.target, d.reason],
    read: (data: unknown) => {
      if (!Array.isArray(data) || data.length !== 3 || !(data[0] instanceof Ref)) {
        throw new MalformedMessageError('malformed Down extension: expected [ref, target, reason]')
      }
      return new Down(data[0], data[1], data[2])
    },
  })
  addExtension({
    Class: Exit,
    type: 0x53,
    write: (e: Exit) => [e.from, e.reason],
    read: (data: unknown) => {
      if (!Array.isArray(data) || data.length !== 2 || !(data[0] instanceof Pid)) {
        throw new MalformedMessageError('malformed Exit extension: expected [from, reason]')
      }
      return new Exit(data[0], data[1])
    },
  })
  addExtension({ Class: Error, type: 0x54, write: errorToData, read: dataToError })
  // Last, so that it is tried first (buffer-extension.ts).
  registerBufferExtension()
}

let sharedCodec: MessageCodec | undefined
/**
 * One codec per process for core's own encoding outside the distribution (a replicated map's values, the size of a
 * presence meta): encoding is synchronous and each encoding stands alone, so one serves every caller.
 */
export function sharedMessageCodec(): MessageCodec {
  return (sharedCodec ??= createMessageCodec())
}

/** Creates a codec with its own msgpackr encoder and decoder. */
export function createMessageCodec(): MessageCodec {
  registerExtensions()
  // msgpackr would write a function as nil and carry on: a message that lost a part on the wire. Refuse it instead.
  const packr = new Packr({ ...CODEC_OPTIONS, writeFunction: refuseFunction })
  const unpackr = new Unpackr(CODEC_OPTIONS)
  const encode = (value: unknown, sizeHint?: number): Uint8Array => {
    try {
      return encodeUnchecked(value, sizeHint)
    } catch (error) {
      throw encodeFailure(value, error)
    }
  }
  const encodeUnchecked = (value: unknown, sizeHint?: number): Uint8Array => {
    // A large message of known size gets a buffer of its own, exactly that size: msgpackr would grow its buffer to
    // four times the message (a 4 MiB allocation per 1 MiB message, most of the GC work of a large transfer).
    const hinted = sizeHint !== undefined && sizeHint > LARGE_MESSAGE_BYTES
    if (hinted) packr.useBuffer(Buffer.allocUnsafeSlow(sizeHint))
    const bytes = packr.pack(value)
    // msgpackr packs into one buffer per process (module state, shared by every Packr), grown to four times the
    // largest message it packed and kept. After a large message, or a hinted one (its buffer is as large as the
    // hint even when the message came out smaller), hand it a small fresh buffer, so one 50 MiB message does not
    // pin 200 MiB for the life of the process. The message's bytes stay a view of the old buffer until dropped.
    if (hinted || bytes.length > LARGE_MESSAGE_BYTES) packr.useBuffer(Buffer.allocUnsafeSlow(FRESH_BUFFER_BYTES))
    return bytes
  }
  const decode = (bytes: Uint8Array, start?: number, end?: number): unknown => {
    const ranged = start !== undefined || end !== undefined
    const from = start ?? 0
    const to = end ?? bytes.length
    if (ranged && !(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && from < to && to <= bytes.length)) {
      throw new RangeError(`decode range [${from}, ${to}) is not inside the ${bytes.length} bytes given`)
    }
    try {
      return ranged ? unpackr.unpack(bytes, { start: from, end: to }) : unpackr.unpack(bytes)
    } catch (error) {
      if (error instanceof MalformedMessageError) throw error
      throw new MalformedMessageError(`malformed msgpack: ${(error as Error).message}`, { cause: error })
    }
  }
  return {
    encode,
    encodeParts: (value, spliceBytes, sizeHint) => {
      startSplicing(spliceBytes)
      let bytes: Uint8Array
      let splices: Splice[]
      try {
        bytes = encode(value, sizeHint)
      } finally {
        splices = stopSplicing()
      }
      if (splices.length === 0) return [bytes]
      // Rare: msgpackr moved the encoding to a larger buffer after a splice was recorded (a long string after the
      // Buffer, say), so its place is lost. Encode again, copying.
      return spliceInto(bytes, splices) ?? [encode(value, sizeHint)]
    },
    encodeAttached: (value, minBytes, maxBytes, sizeHint) => {
      startAttaching(minBytes, maxBytes)
      let bytes: Uint8Array
      let attachments: Buffer[] | undefined
      try {
        bytes = encode(value, sizeHint)
      } finally {
        attachments = stopAttaching()
      }
      return attachments === undefined ? undefined : { bytes, attachments }
    },
    decode,
    decodeAttached: (bytes, attachments) => {
      beginIncoming(attachments)
      let value: unknown
      let used: number
      try {
        value = decode(bytes)
      } finally {
        used = endIncoming()
      }
      if (used !== attachments.length) {
        throw new MalformedMessageError(`message with ${attachments.length} attachments has placeholders for ${used}`)
      }
      return value
    },
  }
}

const MAX_DEPTH = 256

/** msgpackr's hook for functions; `encodeFailure` then finds the function and names where it is. */
function refuseFunction(): never {
  throw new TypeError('a function cannot be encoded')
}

/**
 * The Cohort error for a value msgpackr could not encode: the walk's precise one (a cycle, 5,000 levels of nesting and
 * a symbol end msgpackr with a bare RangeError or TypeError), else a generic one wrapping msgpackr's.
 */
function encodeFailure(value: unknown, error: unknown): Error {
  if (error instanceof CohortError) return error
  try {
    assertSerializable(value)
  } catch (precise) {
    if (precise instanceof NotSerializableError) return precise
  }
  return new NotSerializableError('message', `not encodable (${(error as Error)?.message ?? String(error)})`, { cause: error })
}

/**
 * Throws NotSerializableError naming the first part of `value` that cannot cross the wire: a function, a symbol, an
 * instance of a class other than the supported ones (a Promise too), an object with an own `__proto__` key, a cycle,
 * or nesting deeper than 256 levels. Symbol-keyed properties are not data: the codec leaves them out, as
 * structuredClone does, and so does this check. It never recurses more than 257 frames deep, so a
 * deep or cyclic value is reported, not a stack overflow. With `wellFormedStrings`, a string anywhere in `value` (an
 * object's or a Map's key included) with an unpaired UTF-16 surrogate fails too: it would arrive with U+FFFD in its
 * place, which a replica kept the same on every node cannot allow.
 */
export function assertSerializable(value: unknown, path = 'message', options?: { wellFormedStrings?: boolean }): void {
  serializableBound(value, path, options)
}

/**
 * `assertSerializable`'s check, returning an upper bound of the bytes `value` takes in core's codec: Infinity where
 * the walk knows no quick bound (a bigint, a Pid or Ref, an error or signal), so that a caller that must keep values
 * under a size encodes only those, or values near its limit, to measure them (the replicated map's `maxEntryBytes`).
 * One walk that builds no path strings; only a value that fails is walked again, with paths, to say where.
 */
export function serializableBound(value: unknown, path = 'message', options?: { wellFormedStrings?: boolean }): number {
  const wellFormed = options?.wellFormedStrings === true
  const bound = boundOf(value, 0, new Set(), wellFormed)
  if (bound !== FAILS) return bound
  walk(value, path, 0, new Set(), wellFormed)
  // The two walks refuse the same values; should they ever disagree, the value goes as one with no quick bound.
  return Infinity
}

/** What `boundOf` returns for a value `walk` refuses. */
const FAILS = -1
/**
 * Bytes a container may take beyond its items: a map's or array's header (at most 5), or an extension's, and with
 * `useRecords` a record's definition or reference in place of a map's header (its keys are counted as a map's).
 */
const CONTAINER_SLACK = 16
/** The most a number, a boolean, null or undefined takes (a float64: 9). */
const SCALAR_BYTES = 9

/** A string's bound: its header and at most 3 bytes of UTF-8 a UTF-16 unit (a surrogate pair's 4 in two units). */
function stringBound(text: string): number {
  return 5 + 3 * text.length
}

/** `walk` without paths: an upper bound of the encoded size, or FAILS where `walk` throws. */
function boundOf(value: unknown, depth: number, seen: Set<object>, wellFormed: boolean): number {
  switch (typeof value) {
    case 'string':
      return wellFormed && !value.isWellFormed() ? FAILS : stringBound(value)
    case 'number':
    case 'boolean':
    case 'undefined':
      return SCALAR_BYTES
    case 'bigint':
      return Infinity
    case 'function':
    case 'symbol':
      return FAILS
  }
  if (value === null) return SCALAR_BYTES
  const object = value as object
  if (depth > MAX_DEPTH || seen.has(object)) return FAILS
  if (object instanceof Pid || object instanceof Ref || object instanceof RegExp) return Infinity
  if (object instanceof Date) return CONTAINER_SLACK
  if (ArrayBuffer.isView(object)) return object.byteLength + CONTAINER_SLACK
  if (object instanceof ArrayBuffer) return object.byteLength + CONTAINER_SLACK
  seen.add(object)
  let bound = CONTAINER_SLACK
  const add = (item: number): boolean => {
    if (item === FAILS) return false
    bound += item
    return true
  }
  let ok = true
  if (Array.isArray(object)) {
    if (Object.getPrototypeOf(object) !== Array.prototype) ok = false
    for (let i = 0; ok && i < object.length; i++) ok = add(boundOf(object[i], depth + 1, seen, wellFormed))
  } else if (object instanceof Map) {
    for (const [k, v] of object) {
      if (!(ok = add(boundOf(k, depth + 1, seen, wellFormed)) && add(boundOf(v, depth + 1, seen, wellFormed)))) break
    }
  } else if (object instanceof Set) {
    for (const v of object) if (!(ok = add(boundOf(v, depth + 1, seen, wellFormed)))) break
  } else if (object instanceof Down) {
    ok = add(boundOf(object.target, depth + 1, seen, wellFormed)) && add(boundOf(object.reason, depth + 1, seen, wellFormed))
    bound = Infinity
  } else if (object instanceof Exit) {
    ok = add(boundOf(object.reason, depth + 1, seen, wellFormed))
    bound = Infinity
  } else if (object instanceof Error) {
    for (const key of Object.keys(object)) if (!(ok = add(boundOf((object as never)[key], depth + 1, seen, wellFormed)))) break
    bound = Infinity
  } else {
    const proto = Object.getPrototypeOf(object) as object | null
    if (proto !== Object.prototype && proto !== null) ok = false
    else {
      for (const key of Object.keys(object)) {
        if (key === '__proto__' || (wellFormed && !key.isWellFormed())) ok = false
        else ok = add(boundOf((object as never)[key], depth + 1, seen, wellFormed))
        if (!ok) break
        bound += stringBound(key)
      }
    }
  }
  seen.delete(object)
  return ok ? bound : FAILS
}

/** Why a string with an unpaired UTF-16 surrogate fails `wellFormedStrings`. */
const ILL_FORMED = 'a string with an unpaired UTF-16 surrogate (it would cross as UTF-8, with U+FFFD in its place)'

/** `wellFormed`: strings (values, object keys and Map keys) must have no unpaired surrogate. */
function walk(value: unknown, path: string, depth: number, seen: Set<object>, wellFormed: boolean): void {
  switch (typeof value) {
    case 'string':
      if (wellFormed && !value.isWellFormed()) throw new NotSerializableError(path, ILL_FORMED)
      return
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return
    case 'function':
      throw new NotSerializableError(path, `a function (${value.name || 'anonymous'})`)
    case 'symbol':
      throw new NotSerializableError(path, `a symbol (${String(value)})`)
  }
  if (value === null) return
  const object = value as object
  if (depth > MAX_DEPTH) throw new NotSerializableError(path, `nested deeper than ${MAX_DEPTH} levels`)
  if (seen.has(object)) throw new NotSerializableError(path, 'a reference back to an enclosing object (a cycle)')
  if (object instanceof Pid || object instanceof Ref || object instanceof Date || object instanceof RegExp) return
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) return
  seen.add(object)
  try {
    if (Array.isArray(object)) {
      // A subclass of Array would arrive as a plain array.
      const proto = Object.getPrototypeOf(object) as object
      if (proto !== Array.prototype) throw new NotSerializableError(path, `an instance of class ${proto.constructor.name}`)
      for (let i = 0; i < object.length; i++) walk(object[i], `${path}[${i}]`, depth + 1, seen, wellFormed)
    } else if (object instanceof Map) {
      for (const [k, v] of object) {
        walk(k, `${path}.<key>`, depth + 1, seen, wellFormed)
        walk(v, `${path}.get(${safeKey(k)})`, depth + 1, seen, wellFormed)
      }
    } else if (object instanceof Set) {
      for (const v of object) walk(v, `${path}.<element>`, depth + 1, seen, wellFormed)
    } else if (object instanceof Down) {
      walk(object.target, `${path}.target`, depth + 1, seen, wellFormed)
      walk(object.reason, `${path}.reason`, depth + 1, seen, wellFormed)
    } else if (object instanceof Exit) {
      walk(object.reason, `${path}.reason`, depth + 1, seen, wellFormed)
    } else if (object instanceof Error) {
      for (const key of Object.keys(object)) walk((object as never)[key], `${path}.${key}`, depth + 1, seen, wellFormed)
    } else {
      const proto = Object.getPrototypeOf(object) as object | null
      if (proto !== Object.prototype && proto !== null) {
        const name = (proto.constructor as { name?: string } | undefined)?.name ?? 'anonymous'
        throw new NotSerializableError(path, `an instance of class ${name}`)
      }
      for (const key of Object.keys(object)) {
        // msgpackr renames an own `__proto__` key (a JSON.parse result can have one) to `__proto_` on decode, so it
        // would arrive as another key: refuse it rather than change the message.
        if (key === '__proto__') throw new NotSerializableError(path, 'an object with an own "__proto__" key')
        if (wellFormed && !key.isWellFormed()) throw new NotSerializableError(path, `an object with a key that is ${ILL_FORMED}`)
        walk((object as never)[key], `${path}.${key}`, depth + 1, seen, wellFormed)
      }
    }
  } finally {
    seen.delete(object)
  }
}

function safeKey(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : typeof key === 'object' ? '…' : String(key)
}
