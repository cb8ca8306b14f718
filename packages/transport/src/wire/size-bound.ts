/**
 * sizeBound: a cheap upper bound on the encoded size of a small message, so small sends can be queued unencoded and
 * packed together, one msgpack call per frame, while `maxMessageBytes`, fragmentation and backpressure still see a
 * size. Anything it cannot bound quickly (a large or deep value, a class instance, an error, a bigint) returns -1,
 * and the sender encodes that message on its own as before.
 *
 * It also proves the message safe to send: a value it bounds is made only of plain objects, plain arrays, scalars,
 * typed arrays, Pid, Ref and Date, which the codec carries unchanged. A class instance, a function, a symbol or an
 * own `__proto__` key all return -1, and the slow path (outgoing-check.ts) names the problem. So checking a small
 * message costs nothing beyond this walk. Symbol-keyed properties are not looked for: they are not data, and are left
 * out as structuredClone leaves them out (looking costs ~70 ns per object, a fifth of a small send's CPU).
 *
 * Hot path: every small remote send.
 */
import { Buffer } from 'node:buffer'
import { Pid, Ref } from '@cohort/core'

/** Values visited before giving up: small messages are small in shape too. */
const MAX_NODES = 64

/** A record's definition and use around its keys and values: extension header, id, array headers. */
const RECORD_HEADER_BYTES = 16

/** Values the current walk may still visit (module state: the walk is synchronous, and a budget object per send
 * was garbage on the hot path). */
let nodesLeft = 0

/** Buffers of at least this size inside a value are left out of a large message's encoding: attached from 16 KiB
 * (attachments.ts), or spliced from 64 KiB when the message streams (core's `encodeParts`). */
const SPLICED_BUFFER_BYTES = 16 * 1024

/** Bytes of the Buffers of at least SPLICED_BUFFER_BYTES that the last walk counted (module state, as nodesLeft). */
let splicedBytes = 0

/**
 * Bytes of the large Buffers (16 KiB or more) inside the value of the last `sizeBound` call that walked one: an
 * encoding with attachments or in parts leaves them out, so a size hint for that encoding should not count them. 0 after a call on bytes
 * or a string.
 */
export function splicedBytesOfLastBound(): number {
  return splicedBytes
}

/** An upper bound on the encoded size of `value` when it is at most `limit` bytes, else -1. */
export function sizeBound(value: unknown, limit: number): number {
  splicedBytes = 0
  // The commonest small messages: bytes (no walk), plain objects (straight to their fields), strings (no walk).
  if (value instanceof Uint8Array) return atMost(6 + value.byteLength, limit)
  if (typeof value === 'object' && value !== null && isPlainObject(value)) {
    nodesLeft = MAX_NODES - 1
    return atMost(recordBound(value as Record<string, unknown>, limit), limit)
  }
  if (typeof value === 'string') return atMost(5 + value.length * 3, limit)
  nodesLeft = MAX_NODES
  const bound = walk(value, limit)
  return bound > limit ? -1 : bound
}

/**
 * True when `value`'s prototype is `Object.prototype`. The constructor is read first although the prototype decides:
 * with it, the prototype check cost nothing measurable in a micro-benchmark, and alone it cost about 8 ns a call, a
 * sixth of the bound of a five-field message (likely because the read pins the object's shape, from which V8 can
 * answer the prototype). An object with an own `constructor` field fails the first test and is walked as any object
 * is.
 */
function isPlainObject(value: object): boolean {
  return (value as { constructor?: unknown }).constructor === Object && Object.getPrototypeOf(value) === Object.prototype
}

function atMost(bound: number, limit: number): number {
  return bound > limit ? -1 : bound
}

/** The bound of a scalar, which needs no walk; -1 for anything else. */
function scalarBound(value: unknown): number {
  switch (typeof value) {
    case 'undefined':
      return 3 // an extension (moreTypes), not nil
    case 'boolean':
      return 1
    case 'number':
      return 9
    case 'string':
      // At most 3 UTF-8 bytes per UTF-16 unit, plus the longest header.
      return 5 + value.length * 3
    default:
      return -1
  }
}

function walk(value: unknown, limit: number): number {
  if (--nodesLeft < 0) return Infinity
  const scalar = scalarBound(value)
  if (scalar >= 0) return scalar
  if (typeof value !== 'object') return Infinity // a function, a symbol, a bigint
  if (value === null) return 1
  // Plain objects first: most messages are one.
  const proto = Object.getPrototypeOf(value) as object | null
  if (proto === Object.prototype || proto === null) return recordBound(value as Record<string, unknown>, limit)
  // Array.prototype only: a subclass of Array would arrive as a plain array.
  if (proto === Array.prototype) {
    const array = value as unknown[]
    let total = 5
    for (let i = 0; i < array.length; i++) {
      total += walk(array[i], limit)
      if (total > limit) return Infinity
    }
    return total
  }
  if (ArrayBuffer.isView(value)) {
    if (value.byteLength >= SPLICED_BUFFER_BYTES && value instanceof Buffer) splicedBytes += value.byteLength
    return 6 + value.byteLength
  }
  if (value instanceof Pid || value instanceof Ref) return 24 + value.node.length * 3
  if (value instanceof Date) return 15
  return Infinity
}

/**
 * A record writes each key once, in its definition (an extension header, an id, an array of keys), then the values;
 * the batch shares one definition among all its messages of that shape, so this over-counts there. Strings and
 * numbers, most of a message's fields, are bounded inline, the rest of the scalars without a call to `walk`.
 */
function recordBound(value: Record<string, unknown>, limit: number): number {
  let total = RECORD_HEADER_BYTES
  for (const key in value) {
    // An own `__proto__` key (JSON.parse makes them) arrives renamed: left to the slow path too.
    if (key.length === 9 && key === '__proto__') return Infinity
    const field = value[key]
    let bound: number
    if (typeof field === 'string') bound = 5 + field.length * 3
    else if (typeof field === 'number') bound = 9
    else bound = scalarBound(field)
    if (bound < 0) bound = walk(field, limit)
    else if (--nodesLeft < 0) return Infinity
    total += 5 + key.length * 3 + bound
    if (total > limit) return Infinity
  }
  return total
}
