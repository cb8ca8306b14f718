/**
 * Property-based tests of the message codec (fast-check): every supported value round-trips; every unsupported one,
 * cycles and 5,000 levels of nesting included, fails with COHORT_ERR_NOT_SERIALIZABLE rather than a bare RangeError or
 * TypeError; `serializableBound` is never below a value's encoded size; and arbitrary bytes decode to a value or fail with a Cohort error, never anything else.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createMessageCodec, serializableBound, sharedMessageCodec } from './codec.ts'
import { isCohortError } from './errors.ts'
import { Pid } from './pid.ts'
import { Ref } from './ref.ts'

const codec = createMessageCodec()

/** Plain data as messages carry it: JSON-like values, Maps, Sets, Dates, bigints, Buffers, pids and refs. */
const leaf = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.date({ noInvalidDate: true }),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.record({ node: fc.constantFrom('a@h', 'b@10.0.0.5'), id: fc.nat(), creation: fc.nat() }).map((p) => new Pid(p.node, p.id, p.creation)),
  fc.record({ node: fc.constantFrom('a@h'), id: fc.nat(), creation: fc.nat() }).map((r) => new Ref(r.node, r.id, r.creation)),
)
const { value: supported } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object'), tie('map'), tie('set')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 5 }),
  map: fc.array(fc.tuple(fc.string(), tie('value')), { maxLength: 4 }).map((entries) => new Map(entries)),
  set: fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 4 }).map((items) => new Set(items)),
}))

function nested(depth: number, inner: unknown, wrap: (v: unknown) => unknown): unknown {
  let v = inner
  for (let i = 0; i < depth; i++) v = wrap(v)
  return v
}

function encodesWholeOrFailsWithCohortCode(value: unknown): void {
  let bytes: Uint8Array
  try {
    bytes = codec.encode(value)
  } catch (error) {
    expect(isCohortError(error, 'COHORT_ERR_NOT_SERIALIZABLE'), String(error)).toBe(true)
    return
  }
  let decoded: unknown
  try {
    decoded = codec.decode(bytes)
  } catch (error) {
    expect(isCohortError(error), String(error)).toBe(true)
    return
  }
  // Level by level: a recursive deep equality would overflow the stack itself.
  expect(levels(decoded)).toEqual(levels(value))
}

/** The containers of a `nested` value from the outside in ('a' array, 'o' object, 'm' Map), and what they hold. */
function levels(value: unknown): { kinds: string; inner: unknown } {
  let kinds = ''
  for (let v = value; ; kinds += kindOf(v), v = innerOf(v)) {
    if (kindOf(v) === '') return { kinds, inner: v }
  }
}
const kindOf = (v: unknown): string => (Array.isArray(v) ? 'a' : v instanceof Map ? 'm' : typeof v === 'object' && v !== null ? 'o' : '')
const innerOf = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v instanceof Map ? v.get('k') : (v as { v: unknown }).v)

function failsWithCohortCode(value: unknown): void {
  let error: unknown
  try {
    codec.encode(value)
  } catch (e) {
    error = e
  }
  expect(isCohortError(error, 'COHORT_ERR_NOT_SERIALIZABLE'), String(error)).toBe(true)
}

describe('message codec (property-based)', () => {
  it('round-trips every supported value', () => {
    fc.assert(
      fc.property(supported, (value) => {
        expect(codec.decode(codec.encode(value))).toEqual(value)
      }),
      { numRuns: 300 },
    )
  })

  // Class instances cross as plain objects of their own fields (the codec does not walk every message to look for
  // them); strictMessages refuses them at send. Functions and symbols cannot be encoded at all.
  it('refuses every value that cannot be encoded with COHORT_ERR_NOT_SERIALIZABLE, and keeps working afterwards', () => {
    const unsupported = fc.oneof(fc.constant(() => 1), fc.constant(Symbol('s')), fc.constant(function named() {}))
    fc.assert(
      fc.property(supported, unsupported, fc.nat({ max: 3 }), (around, bad, where) => {
        const value = [around, where === 0 ? bad : { deep: [bad] }]
        failsWithCohortCode(value)
        expect(codec.decode(codec.encode(around))).toEqual(around)
      }),
      { numRuns: 200 },
    )
  })

  it('refuses cycles and nesting past the stack with a Cohort error, not a RangeError', () => {
    const cycle: Record<string, unknown> = { a: 1 }
    cycle['self'] = cycle
    failsWithCohortCode(cycle)
    const cyclicArray: unknown[] = []
    cyclicArray.push({ back: cyclicArray })
    failsWithCohortCode(cyclicArray)
    for (const wrap of [(v: unknown) => [v], (v: unknown) => ({ v }), (v: unknown) => new Map([['k', v]])]) {
      // Far deeper than any stack msgpackr recurses on: refused with the walk's precise error.
      failsWithCohortCode(nested(100_000, 1, wrap))
      // 5,000 levels fit a larger stack (Node 22's, once msgpackr is optimized): such a value either crosses whole or
      // is refused the same way, never with a bare RangeError. (checkMessages, on by default, refuses anything past
      // 256 levels before the codec sees it; outgoing-check.test.ts in the transport.)
      encodesWholeOrFailsWithCohortCode(nested(5000, 1, wrap))
    }
    expect(codec.decode(codec.encode({ still: 'works' }))).toEqual({ still: 'works' })
  })

  it('decodes arbitrary bytes to a value or fails with a Cohort error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          codec.decode(bytes)
        } catch (error) {
          expect(isCohortError(error), String(error)).toBe(true)
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('fails with a Cohort error on every truncation of a valid encoding and on deeply nested hostile bytes', () => {
    fc.assert(
      fc.property(supported, fc.nat(), (value, cut) => {
        const bytes = codec.encode(value)
        if (bytes.length < 2) return
        const truncated = bytes.subarray(0, cut % bytes.length)
        try {
          codec.decode(truncated)
        } catch (error) {
          expect(isCohortError(error), String(error)).toBe(true)
        }
      }),
      { numRuns: 300 },
    )
    // A million one-element arrays, one inside the other: 1 MB that would overflow a recursive decoder's stack.
    const deep = Buffer.alloc(1_000_001, 0x91)
    deep[deep.length - 1] = 0x01
    let error: unknown
    try {
      codec.decode(deep)
    } catch (e) {
      error = e
    }
    expect(error === undefined || isCohortError(error)).toBe(true)
  })

  it('bounds every supported value\'s encoded size from above (serializableBound), typed arrays and long text included', () => {
    const shared = sharedMessageCodec()
    const extra = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.float64Array({ maxLength: 9 }),
      fc.int32Array({ maxLength: 9 }),
      fc.array(fc.record({ id: fc.nat(), name: fc.string(), at: fc.date({ noInvalidDate: true }) }), { maxLength: 6 }),
    )
    fc.assert(
      fc.property(fc.oneof(supported, extra), (value) => {
        const bound = serializableBound(value)
        expect(bound).toBeGreaterThanOrEqual(codec.encode(value).length)
        expect(bound).toBeGreaterThanOrEqual(shared.encode(value).length)
      }),
      { numRuns: 1000 },
    )
  })
})
