/** Unit tests of frame writing and reading, fed bytes. */
import { createMessageCodec, Pid } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from './close-codes.ts'
import { EntryParts, readFrame, writeFrame } from './wire-codec.ts'
import { closeCodeOf } from '../test-support/close-code-of.ts'

const codec = createMessageCodec()

describe('wire codec', () => {
  it('writes a batch as one frame and reads every entry back in order', () => {
    const messages = [{ type: 'tick' }, { type: 'send', to: new Pid('b@h', 1, 7), from: undefined, msg: [1, 'x'] }]
    const encoded = messages.map((m) => codec.encode(m))
    const frame = writeFrame(encoded, 2, encoded[0]!.length + encoded[1]!.length)
    const out: unknown[] = []
    readFrame(frame, codec, 1024, (v) => out.push(v))
    expect(out).toHaveLength(2)
    expect(out[0]).toEqual({ type: 'tick' })
    expect((out[1] as { to: Pid }).to.equals(new Pid('b@h', 1, 7))).toBe(true)
  })

  it('writes an entry given in parts as the same bytes as the joined entry, between whole ones', () => {
    const big = Buffer.alloc(100_000, 9)
    big[0] = 1
    big[99_999] = 2
    const value = { type: 'send', to: new Pid('b@h', 1, 7), from: undefined, msg: big }
    const parts = codec.encodeParts(value, 0x10000)
    expect(parts.length).toBeGreaterThan(1)
    const joined = Buffer.concat(parts)
    const tick = codec.encode({ type: 'tick' })
    const split = writeFrame([tick, new EntryParts(parts, joined.length), tick], 3, 2 * tick.length + joined.length)
    expect(split.equals(writeFrame([tick, joined, tick], 3, 2 * tick.length + joined.length))).toBe(true)
    const out: unknown[] = []
    readFrame(split, codec, 200_000, (v) => out.push(v))
    expect(out).toHaveLength(3)
    expect(Buffer.from((out[1] as { msg: Uint8Array }).msg).equals(big)).toBe(true)
  })

  it('refuses truncated, empty, overrunning and oversized entries', () => {
    const e = codec.encode({ type: 'tick' })
    const frame = writeFrame([e], 1, e.length)
    const noop = (): void => undefined
    expect(closeCodeOf(() => readFrame(frame.subarray(0, frame.length - 1), codec, 1024, noop))).toBe(CLOSE_CODES.malformed)
    expect(closeCodeOf(() => readFrame(Buffer.from([0, 0]), codec, 1024, noop))).toBe(CLOSE_CODES.malformed)
    expect(closeCodeOf(() => readFrame(Buffer.alloc(0), codec, 1024, noop))).toBe(CLOSE_CODES.malformed)
    expect(closeCodeOf(() => readFrame(Buffer.from([0, 0, 0, 0]), codec, 1024, noop))).toBe(CLOSE_CODES.malformed)
    expect(closeCodeOf(() => readFrame(frame, codec, 2, noop))).toBe(CLOSE_CODES.messageTooLarge)
  })

  it('refuses garbage and truncated msgpack inside an entry', () => {
    const garbage = Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1])
    expect(closeCodeOf(() => readFrame(garbage, codec, 1024, () => undefined))).toBe(CLOSE_CODES.malformed)
    const whole = codec.encode({ type: 'sendName', name: 'x', from: undefined, msg: 'a long enough string' })
    const cut = whole.subarray(0, whole.length - 5)
    const truncated = writeFrame([cut], 1, cut.length)
    expect(closeCodeOf(() => readFrame(truncated, codec, 1024, () => undefined))).toBe(CLOSE_CODES.malformed)
  })
})
