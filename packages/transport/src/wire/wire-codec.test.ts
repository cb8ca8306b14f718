/** Unit tests of frame writing and reading, fed bytes. */
import { createMessageCodec, Pid } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from './close-codes.ts'
import { ProtocolError } from './protocol-error.ts'
import { readFrame, writeFrame } from './wire-codec.ts'

const codec = createMessageCodec()

function codeOf(fn: () => void): number {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError)
    return (error as ProtocolError).closeCode
  }
  throw new Error('expected a ProtocolError')
}

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

  it('refuses truncated, empty, overrunning and oversized entries', () => {
    const e = codec.encode({ type: 'tick' })
    const frame = writeFrame([e], 1, e.length)
    const noop = (): void => undefined
    expect(codeOf(() => readFrame(frame.subarray(0, frame.length - 1), codec, 1024, noop))).toBe(CLOSE_CODES.malformed)
    expect(codeOf(() => readFrame(Buffer.from([0, 0]), codec, 1024, noop))).toBe(CLOSE_CODES.malformed)
    expect(codeOf(() => readFrame(Buffer.alloc(0), codec, 1024, noop))).toBe(CLOSE_CODES.malformed)
    expect(codeOf(() => readFrame(Buffer.from([0, 0, 0, 0]), codec, 1024, noop))).toBe(CLOSE_CODES.malformed)
    expect(codeOf(() => readFrame(frame, codec, 2, noop))).toBe(CLOSE_CODES.messageTooLarge)
  })

  it('refuses garbage and truncated msgpack inside an entry', () => {
    const garbage = Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1])
    expect(codeOf(() => readFrame(garbage, codec, 1024, () => undefined))).toBe(CLOSE_CODES.malformed)
    const whole = codec.encode({ type: 'sendName', name: 'x', from: undefined, msg: 'a long enough string' })
    const cut = whole.subarray(0, whole.length - 5)
    const truncated = writeFrame([cut], 1, cut.length)
    expect(codeOf(() => readFrame(truncated, codec, 1024, () => undefined))).toBe(CLOSE_CODES.malformed)
  })
})
