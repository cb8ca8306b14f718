import { describe, expect, it } from 'vitest'
import { createMessageCodec, assertSerializable, NotSerializableError } from './codec.ts'
import { Pid } from './pid.ts'
import { Ref } from './ref.ts'
import { Down, Exit } from './signals.ts'

describe('message codec', () => {
  const codec = createMessageCodec()
  const roundTrip = (v: unknown) => createMessageCodec().decode(codec.encode(v))

  it('keeps objects, Maps, Sets, Dates, bigints and typed arrays apart', () => {
    const value = {
      o: { a: 1, nested: [1, 'x', null, true] },
      m: new Map<unknown, unknown>([[1, 'one'], ['k', { v: 2 }]]),
      s: new Set([1, 2]),
      d: new Date(1234),
      b: 2n ** 70n,
      u8: new Uint8Array([1, 2, 3]),
      f64: new Float64Array([1.5]),
      big: Number.MAX_SAFE_INTEGER,
      neg: -(2 ** 40),
    }
    expect(roundTrip(value)).toEqual(value)
  })

  it('writes Buffers as plain msgpack bin of every width, and keeps Uint8Arrays apart', () => {
    for (const [length, header] of [
      [0, [0xc4, 0]],
      [255, [0xc4, 255]],
      [256, [0xc5, 1, 0]],
      [65_535, [0xc5, 255, 255]],
      [65_536, [0xc6, 0, 1, 0, 0]],
    ] as const) {
      const bytes = Buffer.alloc(length, 7)
      const encoded = codec.encode(bytes)
      expect([...encoded.subarray(0, header.length)]).toEqual(header)
      expect(encoded.length).toBe(header.length + length)
      const decoded = roundTrip(bytes) as Buffer
      expect(Buffer.isBuffer(decoded)).toBe(true)
      expect(decoded.equals(bytes)).toBe(true)
    }
    const mixed = roundTrip([Buffer.from('ab'), new Uint8Array([1, 2]), { inner: Buffer.from('c') }]) as unknown[]
    expect(mixed[0]).toEqual(Buffer.from('ab'))
    expect(mixed[1]).toBeInstanceOf(Uint8Array)
    expect(Buffer.isBuffer(mixed[1])).toBe(false)
    expect(mixed[2]).toEqual({ inner: Buffer.from('c') })
  })

  it('encodes a large message into a buffer of the hinted size, and survives a hint that is too small', () => {
    const big = { body: Buffer.alloc(2 * 1024 * 1024, 5), n: 1 }
    const plain = Buffer.from(createMessageCodec().encode(big))
    const hinted = codec.encode(big, plain.length + 100)
    expect(Buffer.from(hinted).equals(plain)).toBe(true)
    expect(hinted.buffer.byteLength).toBe(plain.length + 100)
    expect(Buffer.from(codec.encode(big, 2 * 1024 * 1024)).equals(plain)).toBe(true)
    expect(roundTrip({ after: 'a small one' })).toEqual({ after: 'a small one' })
  })

  it('does not keep a large buffer after a large message, nor after a hinted one that came out smaller', () => {
    const own = createMessageCodec()
    own.encode({ body: Buffer.alloc(3 * 1024 * 1024) })
    expect(own.encode({ small: 1 }).buffer.byteLength).toBeLessThan(1024 * 1024)
    const text = 'x'.repeat(1_000_000) // bound 3 MB, encoded 1 MB: not large, but its buffer is as large as the hint
    expect(own.encode(text, 5 + text.length * 3).length).toBeLessThan(1_000_010)
    expect(own.encode({ small: 2 }).buffer.byteLength).toBeLessThan(1024 * 1024)
  })

  it('encodes in parts: large Buffers are the callers own, the parts joined are the plain encoding', () => {
    const first = Buffer.alloc(200_000, 1)
    const second = Buffer.alloc(70_000, 2)
    const small = Buffer.alloc(60_000, 3)
    // Each value, and how many of its Buffers are large enough to be parts of their own.
    const cases: [unknown, number][] = [
      [first, 1],
      [{ a: first, b: 'between', c: [small, second], d: 7 }, 2],
      [[second, second], 2],
      [{ only: 'small things', small }, 0],
    ]
    // A view into a larger buffer is sent as the view.
    const view = Buffer.alloc(200_000, 5).subarray(10, 100_010)
    cases.push([{ view }, 1])
    for (const [value, large] of cases) {
      const plain = Buffer.from(createMessageCodec().encode(value))
      const parts = codec.encodeParts(value, 65_536)
      expect(Buffer.concat(parts).equals(plain)).toBe(true)
      expect(parts.filter((p) => p === first || p === second || p === view)).toHaveLength(large)
      expect(parts.some((p) => p === small)).toBe(false)
      expect(parts.every((p) => p.length > 0)).toBe(true)
    }
    // Below 64 KiB nothing is spliced, whatever the caller asks; above the size asked, nothing smaller is.
    expect(codec.encodeParts(small, 1)).toHaveLength(1)
    expect(codec.encodeParts({ second }, 100_000).some((p) => p === second)).toBe(false)
  })

  it('encodes in parts even when msgpackr moves to a larger buffer after a splice, by copying', () => {
    const own = createMessageCodec()
    own.encode(Buffer.alloc(1_100_000)) // leaves msgpackr (whose buffer all codecs share) a fresh 64 KiB one
    const value = { file: Buffer.alloc(100_000, 4), text: 'y'.repeat(200_000) }
    const parts = own.encodeParts(value, 65_536)
    expect(parts).toHaveLength(1) // the copying encoding
    expect(Buffer.concat(parts).equals(Buffer.from(createMessageCodec().encode(value)))).toBe(true)
    expect(createMessageCodec().decode(Buffer.concat(parts))).toEqual(value)
    // And the next encoding splices again.
    expect(own.encodeParts([value.file], 65_536).some((p) => p === value.file)).toBe(true)
  })

  it('encodes with attachments: large Buffers left out as placeholders, decoded back to the very Buffers given', () => {
    const a = Buffer.alloc(20_000, 1)
    const b = Buffer.alloc(70_000, 2)
    const small = Buffer.alloc(100, 3)
    const value = { seq: 7, a, inner: [small, b], s: 'x'.repeat(300) }
    const attached = codec.encodeAttached(value, 16_384, 262_144)
    expect(attached).toBeDefined()
    const { bytes, attachments } = attached as { bytes: Uint8Array; attachments: readonly Buffer[] }
    expect(attachments).toHaveLength(2)
    expect(attachments[0]).toBe(a)
    expect(attachments[1]).toBe(b)
    // The encoding holds neither Buffer's bytes: only the small one's and the string's.
    expect(bytes.length).toBeLessThan(600)
    const received = [Buffer.from(a), Buffer.from(b)]
    const decoded = createMessageCodec().decodeAttached(bytes, received) as typeof value
    expect(decoded.seq).toBe(7)
    expect(decoded.a).toBe(received[0])
    expect(decoded.inner[1]).toBe(received[1])
    expect(Buffer.from(decoded.inner[0] as Buffer).equals(small)).toBe(true)
    // Without attachments, encodeAttached is a plain encoding.
    const plain = codec.encodeAttached({ small }, 16_384, 262_144)
    expect(plain?.attachments).toHaveLength(0)
    expect(createMessageCodec().decode(plain?.bytes as Uint8Array)).toEqual({ small })
  })

  it('gives up attaching when a Buffer is over the maximum, and leaves later encodings alone', () => {
    expect(codec.encodeAttached({ big: Buffer.alloc(300_000) }, 16_384, 262_144)).toBeUndefined()
    const after = codec.encode(Buffer.alloc(20_000, 5))
    expect(Buffer.from(createMessageCodec().decode(after) as Buffer).equals(Buffer.alloc(20_000, 5))).toBe(true)
  })

  it('refuses placeholders without attachments, attachments of another length, and attachments left over', () => {
    const { bytes } = codec.encodeAttached([Buffer.alloc(20_000)], 16_384, 262_144) as { bytes: Uint8Array }
    const other = createMessageCodec()
    expect(() => other.decode(bytes)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_MALFORMED_MESSAGE', message: expect.stringContaining('without an attachment') }))
    expect(() => other.decodeAttached(bytes, [Buffer.alloc(19_999)])).toThrow(expect.objectContaining({ message: expect.stringContaining('placeholder says 20000') }))
    expect(() => other.decodeAttached(bytes, [Buffer.alloc(20_000), Buffer.alloc(1)])).toThrow(expect.objectContaining({ message: expect.stringContaining('placeholders for 1') }))
    // The failed decodes left nothing behind: the next plain decode works.
    expect(other.decode(codec.encode({ ok: true }))).toEqual({ ok: true })
  })

  it('writes Pid and Ref as a one-byte-tag extension holding [node, id, creation]', () => {
    const bytes = codec.encode([new Pid('a@h', 7, 3), new Ref('node@host', 2 ** 40, 0xffffffff)])
    expect(Buffer.from(bytes).toString('hex')).toBe(
      '92' + 'd4500093' + 'a3614068' + '07' + '03' + 'd4510093' + 'a96e6f646540686f7374' + 'cb4270000000000000' + 'ceffffffff',
    )
  })

  it('refuses the reserved extension 0x55 with a clear error', () => {
    expect(() => codec.decode(Uint8Array.from([0xd4, 0x55, 0, 0xc0]))).toThrow(/malformed msgpack: extension 0x55 is never sent/)
  })

  it('decodes each message on its own, in any order', () => {
    const first = codec.encode({ x: 1, y: 2 })
    const second = codec.encode({ x: 3, y: 4 })
    expect(createMessageCodec().decode(second)).toEqual({ x: 3, y: 4 })
    expect(createMessageCodec().decode(first)).toEqual({ x: 1, y: 2 })
  })

  it('decodes a value where it lies in a larger buffer, and never reads past the range', () => {
    const pid = new Pid('a@h', 7, 3)
    const value = { pid, text: 'x'.repeat(200), n: 1.5, bin: Buffer.from([1, 2, 3]) }
    const bytes = Buffer.from(codec.encode(value))
    const around = Buffer.concat([Buffer.from([0xa3, 0x61, 0x62, 0x63]), bytes, Buffer.from(codec.encode('after'))])
    const decoded = createMessageCodec().decode(around, 4, 4 + bytes.length) as typeof value
    expect(decoded).toEqual(value)
    expect((decoded.pid as Pid).equals(pid)).toBe(true)
    // A range shorter than its value fails even though the rest of the value is in the buffer after it...
    expect(() => codec.decode(around, 4, 4 + bytes.length - 1)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_MALFORMED_MESSAGE' }))
    // ...as does one longer than its value, and a string whose length runs past the range into the next bytes.
    expect(() => codec.decode(around, 4, 4 + bytes.length + 1)).toThrow(/malformed msgpack: Data read, but end of buffer not reached/)
    const runsOver = Buffer.from([0xa5, 0x61, 0x62, 0xa3, 0x61, 0x62, 0x63])
    expect(() => codec.decode(runsOver, 0, 3)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_MALFORMED_MESSAGE' }))
    expect(codec.decode(runsOver, 3, 7)).toBe('abc')
  })

  it('refuses a decode range outside the bytes given', () => {
    const bytes = Buffer.from(codec.encode([1, 2, 3]))
    expect(() => codec.decode(bytes, 0, bytes.length + 1)).toThrow(RangeError)
    expect(() => codec.decode(bytes, 2, 2)).toThrow(/decode range \[2, 2\) is not inside the 4 bytes given/)
    expect(() => codec.decode(bytes, -1)).toThrow(RangeError)
  })

  it('carries Pid, Ref, Down and Exit as extension types', () => {
    const pid = new Pid('a@h', 7, 3)
    const ref = new Ref('a@h', 9, 3)
    const out = roundTrip({ pid, ref, down: new Down(ref, pid, 'normal'), exit: new Exit(pid, { shutdown: 'x' }) }) as Record<string, unknown>
    expect(out['pid']).toBeInstanceOf(Pid)
    expect((out['pid'] as Pid).equals(pid)).toBe(true)
    expect((out['ref'] as Ref).equals(ref)).toBe(true)
    expect(out['down']).toBeInstanceOf(Down)
    expect((out['down'] as Down).pid?.equals(pid)).toBe(true)
    expect(out['exit']).toBeInstanceOf(Exit)
    expect((out['exit'] as Exit).reason).toEqual({ shutdown: 'x' })
  })

  it('carries errors as their data', () => {
    const error = Object.assign(new TypeError('bad', { cause: 'why' }), { code: 'E_X' })
    const out = roundTrip(error) as Error & { code: string }
    expect(out).toBeInstanceOf(Error)
    expect([out.name, out.message, out.code, out.cause]).toEqual(['TypeError', 'bad', 'E_X', 'why'])
  })

  it('rejects a malformed Pid extension and garbage with a clear error', () => {
    // msgpackr writes an extension as a tag (d4 <type> 00) followed by the packed data: here a Pid whose data is 1
    const badPid = Uint8Array.from([0xd4, 0x50, 0x00, 0x01])
    expect(() => codec.decode(badPid)).toThrow(/malformed Pid extension/)
    expect(() => codec.decode(Uint8Array.from([0xa5, 0x61]))).toThrow(expect.objectContaining({ code: 'COHORT_ERR_MALFORMED_MESSAGE' }))
    expect(() => codec.decode(Uint8Array.from([0x92, 0x01]))).toThrow(/malformed msgpack/)
  })
})

describe('assertSerializable', () => {
  it('accepts plain data', () => {
    expect(() => assertSerializable({ a: [1, new Map([[1, new Set([new Date()])]])], p: new Pid('n@h', 1, 1), e: new Error('x') })).not.toThrow()
  })

  it.each([
    [{ f: () => 1 }, 'message.f is a function'],
    [{ s: Symbol('x') }, 'message.s is a symbol'],
    [[1, new (class Socket {})()], 'message[1] is an instance of class Socket'],
    [new Map([['k', { g: function named() {} }]]), 'message.get("k").g is a function (named)'],
    [new Set([Promise.resolve()]), 'message.<element> is an instance of class Promise'],
  ])('names what cannot cross the wire: %#', (value, text) => {
    expect(() => assertSerializable(value)).toThrow(NotSerializableError)
    expect(() => assertSerializable(value)).toThrow(text)
  })

  it('names a cycle', () => {
    const o: Record<string, unknown> = {}
    o['self'] = o
    expect(() => assertSerializable(o)).toThrow(/message\.self is a reference back to an enclosing object/)
  })
  it('with wellFormedStrings, also refuses a string with an unpaired surrogate anywhere, which would cross changed', () => {
    expect(() => assertSerializable({ s: 'x\uD800' })).not.toThrow()
    expect(() => assertSerializable({ s: 'x\uD800' }, 'meta', { wellFormedStrings: true })).toThrow(expect.objectContaining({ path: 'meta.s', message: expect.stringMatching(/unpaired UTF-16 surrogate/) }))
    expect(() => assertSerializable('\uDC00', 'value', { wellFormedStrings: true })).toThrow(NotSerializableError)
    expect(() => assertSerializable({ ['\uDC00']: 1 }, 'value', { wellFormedStrings: true })).toThrow(/an object with a key that is a string with an unpaired/)
    expect(() => assertSerializable(new Set(['ok \uD83D\uDE00', 'a']), 'value', { wellFormedStrings: true })).not.toThrow()
  })
})
