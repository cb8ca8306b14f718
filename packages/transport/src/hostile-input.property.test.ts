/**
 * Property-based hostile input (fast-check) against one connection, before and after its handshake: arbitrary bytes,
 * truncations, handshake messages with fields of the wrong type, and entries that declare huge lengths. Whatever
 * arrives, `receive` never throws, and the connection either carries on or closes with one of the documented codes.
 */
import fc from 'fast-check'
import { createMessageCodec, Pid } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from './wire/close-codes.ts'
import { encodeHandshake } from './wire/handshake-codec.ts'
import { NONCE_BYTES, PROTOCOL_VERSION } from './connection/handshake.ts'
import { fedConnection, handshake } from './test-support/fed-connection.ts'
import { wireForm } from './test-support/wire-form.ts'
import { writeFrame } from './wire/wire-codec.ts'

const DOCUMENTED: ReadonlySet<number> = new Set(Object.values(CLOSE_CODES))
const codec = createMessageCodec()

/** Feeds `messages` to a connection; returns its state and the code it closed with (if it did). */
function feed(messages: Uint8Array[], authenticated: boolean, maxMessageBytes?: number): { state: string; code: number | undefined } {
  const fed = fedConnection({ maxMessageBytes: maxMessageBytes ?? 64 * 1024 })
  if (authenticated) handshake(fed.conn, fed.socket)
  for (const m of messages) {
    expect(() => fed.conn.receive(Buffer.from(m), true)).not.toThrow()
    if (fed.conn.state === 'closed') break
  }
  const code = fed.conn.state === 'closed' ? fed.conn.closeCode : undefined
  if (code !== undefined) expect(DOCUMENTED.has(code), `close code ${code}`).toBe(true)
  return { state: fed.conn.state, code }
}

function frame(...entries: Uint8Array[]): Buffer {
  return writeFrame(entries, entries.length, entries.reduce((n, e) => n + e.length, 0))
}

const validHello = {
  type: 'hello',
  version: PROTOCOL_VERSION,
  name: 'c@h',
  creation: 2,
  url: 'ws://h:2',
  hidden: false,
  nonce: new Uint8Array(NONCE_BYTES),
}

describe('a connection fed hostile input (property-based)', () => {
  it('never throws on arbitrary bytes before the handshake, and closes with a handshake code', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }), (messages) => {
        const { state, code } = feed(messages, false)
        if (state === 'closed') expect([CLOSE_CODES.handshakeInvalid, CLOSE_CODES.versionMismatch]).toContain(code)
      }),
      { numRuns: 300 },
    )
  })

  it('refuses a hello with any field of the wrong type or missing (4003/4004), and never throws', () => {
    const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 40 }), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }))
    const fields = Object.keys(validHello) as (keyof typeof validHello)[]
    fc.assert(
      fc.property(fc.constantFrom(...fields), anyValue, fc.boolean(), (field, value, drop) => {
        const hello: Record<string, unknown> = { ...validHello }
        if (drop) delete hello[field]
        else hello[field] = value
        const accepted = !drop && JSON.stringify(value) === JSON.stringify(validHello[field])
        const { state, code } = feed([encodeHandshake(hello)], false)
        if (!accepted && state === 'closed') expect([CLOSE_CODES.handshakeInvalid, CLOSE_CODES.versionMismatch]).toContain(code)
        // A changed field that still makes a valid hello (another name, creation, url) is answered with a challenge.
        if (state !== 'closed') expect(state).toBe('handshaking')
      }),
      { numRuns: 300 },
    )
  })

  it('never throws on arbitrary frames after the handshake, and closes with a documented code', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 4 }), (messages) => {
        feed(messages, true)
      }),
      { numRuns: 300 },
    )
  })

  it('closes on any truncation of a valid frame with 4006 (or 4007 when a cut entry still decodes), never throws', () => {
    const send = (msg: unknown): Uint8Array => codec.encode(wireForm({ type: 'send', to: new Pid('s@h', 1, 1), from: undefined, msg }))
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 5 }), fc.nat(), (msgs, cut) => {
        const entries = msgs.map(send)
        const whole = frame(...entries)
        const at = 1 + (cut % (whole.length - 1))
        // A cut between two entries leaves a shorter, valid frame.
        const boundaries = new Set<number>()
        let end = 0
        for (const e of entries) boundaries.add((end += 4 + e.length))
        const { code } = feed([whole.subarray(0, at)], true)
        if (boundaries.has(at)) expect(code).toBeUndefined()
        else expect([CLOSE_CODES.malformed, CLOSE_CODES.unknownControl]).toContain(code)
      }),
      { numRuns: 500 },
    )
  })

  it('closes an entry that declares a huge length with 4008, before reading or allocating it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64 * 1024 + 1, max: 0xffffffff }), fc.uint8Array({ maxLength: 64 }), (length, tail) => {
        const header = Buffer.alloc(4)
        header.writeUInt32BE(length)
        const { code } = feed([Buffer.concat([header, tail])], true, 64 * 1024)
        expect(code).toBe(CLOSE_CODES.messageTooLarge)
      }),
      { numRuns: 300 },
    )
  })

  it('closes on well-formed msgpack of the wrong shape after the handshake with 4007 (or 4006)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const { state, code } = feed([frame(codec.encode(value))], true)
        if (state === 'closed') expect([CLOSE_CODES.unknownControl, CLOSE_CODES.malformed]).toContain(code)
      }),
      { numRuns: 300 },
    )
  })
})
