/** Unit tests of the send batch: runs between the same two actors, the size bound, and every malformed run refused. */
import { createMessageCodec, Pid, Ref } from '@cohort/core'
import type { MessageCodec } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from './close-codes.ts'
import { CALL_MARK, CALL_VALUES, readSendBatch, REPLY_MARK, REPLY_VALUES, SendBatch } from './send-batch.ts'
import type { WireNames } from './control-validation.ts'

/** Sender side is a@h, receiver side b@h. */
const sending: WireNames = { local: 'a@h', peer: 'b@h' }
const receiving: WireNames = { local: 'b@h', peer: 'a@h' }
const codec = createMessageCodec()
/** A codec that must not be used: a batch of Buffers is written without it. */
const noMsgpackr: MessageCodec = {
  encode: () => {
    throw new Error('msgpackr was used for a batch of Buffers')
  },
  encodeParts: () => {
    throw new Error('msgpackr was used for a batch of Buffers')
  },
  encodeAttached: () => {
    throw new Error('msgpackr was used for a batch of Buffers')
  },
  decodeAttached: (bytes, attachments) => codec.decodeAttached(bytes, attachments),
  decode: (bytes, start, end) => codec.decode(bytes, start, end),
}

interface Received {
  to: Pid
  from: Pid | undefined
  msg: unknown
}

function roundTrip(batch: SendBatch): { values: unknown[]; received: Received[]; encodedBytes: number } {
  const bytes = batch.encode(codec)
  const decoded = codec.decode(bytes) as [number, unknown[]]
  const received: Received[] = []
  readSendBatch(
    decoded[1],
    receiving,
    (to, from, msgs, start, end) => {
      for (let i = start; i < end; i++) received.push({ to, from, msg: msgs[i] })
    },
    (control) => received.push({ to: undefined as unknown as Pid, from: undefined, msg: { control } }),
  )
  return { values: decoded[1], received, encodedBytes: bytes.length }
}

describe('SendBatch', () => {
  it('names the two actors once per run of messages between them', () => {
    const batch = new SendBatch()
    const to = new Pid(sending.peer, 5, 9)
    const from = new Pid(sending.local, 3, 4)
    for (let i = 0; i < 3; i++) batch.add(to, from, i, 9)
    // A new Pid object for the same actor continues the run: pids are values.
    batch.add(new Pid(sending.peer, 5, 9), new Pid(sending.local, 3, 4), 3, 9)
    const { values } = roundTrip(batch)
    expect(values).toEqual([5, 9, 3, 4, 4, 0, 1, 2, 3])
  })

  it('starts a new run when either actor changes, and delivers every message in order with its pids', () => {
    const batch = new SendBatch()
    const a = new Pid(sending.peer, 1, 9)
    const b = new Pid(sending.peer, 2, 9)
    const me = new Pid(sending.local, 7, 4)
    batch.add(a, me, 'one', 9)
    batch.add(b, me, 'two', 9)
    batch.add(b, undefined, 'three', 9)
    batch.add(b, undefined, { four: [4] }, 30)
    batch.add(a, me, 'five', 9)
    const { received } = roundTrip(batch)
    expect(received).toEqual([
      { to: new Pid('b@h', 1, 9), from: new Pid('a@h', 7, 4), msg: 'one' },
      { to: new Pid('b@h', 2, 9), from: new Pid('a@h', 7, 4), msg: 'two' },
      { to: new Pid('b@h', 2, 9), from: undefined, msg: 'three' },
      { to: new Pid('b@h', 2, 9), from: undefined, msg: { four: [4] } },
      { to: new Pid('b@h', 1, 9), from: new Pid('a@h', 7, 4), msg: 'five' },
    ])
  })

  it('carries control messages between runs, in order, and starts a new run after each', () => {
    const batch = new SendBatch()
    const to = new Pid(sending.peer, 5, 9)
    const from = new Pid(sending.local, 3, 4)
    const ref = new Ref(sending.local, 77, 4)
    batch.add(to, from, 'request', 9)
    batch.addControl([6, from, to, ref], 80)
    batch.add(to, from, 'after the monitor', 20)
    batch.addControl([7, from, to, ref], 80)
    const { values, received } = roundTrip(batch)
    expect(values).toEqual([5, 9, 3, 4, 1, 'request', [6, from, to, ref], 5, 9, 3, 4, 1, 'after the monitor', [7, from, to, ref]])
    expect(received.map((r) => r.msg)).toEqual(['request', { control: [6, from, to, ref] }, 'after the monitor', { control: [7, from, to, ref] }])
  })

  it('bounds its encoded size from above with controls too', () => {
    const batch = new SendBatch()
    const pid = new Pid(sending.peer, 2 ** 40, 0xffffffff)
    batch.addControl([6, pid, pid, new Ref(sending.local, 2 ** 40, 1)], 16 + 3 * (24 + 3 * 3))
    batch.add(pid, undefined, 'x', 10)
    const bound = batch.bytes
    expect(roundTrip(batch).encodedBytes).toBeLessThanOrEqual(bound)
  })

  it('writes a batch of Buffers without msgpackr, in the very bytes msgpackr writes', () => {
    const ids = [0, 31, 63, 64, 127, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 1_795_654_184_707, Number.MAX_SAFE_INTEGER]
    const sizes = [0, 1, 64, 255, 256, 65_535, 65_536]
    const batch = new SendBatch()
    const entry: unknown[] = []
    for (let i = 0; i < ids.length; i++) {
      const to = new Pid(sending.peer, ids[i]!, ids[ids.length - 1 - i]!)
      const from = i % 3 === 0 ? undefined : new Pid(sending.local, ids[(i + 4) % ids.length]!, 7)
      const count = i === 1 ? 20 : 1 + (i % 3)
      entry.push(to.id, to.creation, from?.id ?? null, from?.creation ?? null, count)
      for (let k = 0; k < count; k++) {
        const msg = Buffer.alloc(sizes[(i + k) % sizes.length]!, i)
        batch.add(to, from, msg, 6 + msg.length)
        entry.push(msg)
      }
    }
    const bound = batch.bytes
    const written = batch.encode(noMsgpackr)
    expect(Buffer.from(written).equals(Buffer.from(codec.encode([16, entry])))).toBe(true)
    expect(written.length).toBeLessThanOrEqual(bound)
  })

  it('writes long run lists with the wider array headers msgpackr uses', () => {
    for (const messages of [10, 14, 15, 20, 70_000]) {
      const batch = new SendBatch()
      const to = new Pid(sending.peer, 1, 1)
      const payload = Buffer.alloc(1, 9)
      for (let i = 0; i < messages; i++) batch.add(to, undefined, payload, 7)
      const written = batch.encode(noMsgpackr)
      const entry = [16, [1, 1, null, null, messages, ...Array.from({ length: messages }, () => payload)]]
      expect(Buffer.from(written).equals(Buffer.from(codec.encode(entry))), `${messages} messages`).toBe(true)
    }
  })

  it('leaves a batch with any other message, or a control, to msgpackr', () => {
    const batch = new SendBatch()
    const to = new Pid(sending.peer, 1, 1)
    batch.add(to, undefined, Buffer.from('a buffer'), 20)
    batch.add(to, undefined, new Uint8Array([1, 2]), 20) // not a Buffer: msgpackr keeps it a Uint8Array
    const { received } = roundTrip(batch)
    expect(Buffer.isBuffer(received[0]!.msg)).toBe(true)
    expect(received[1]!.msg).toBeInstanceOf(Uint8Array)
    expect(Buffer.isBuffer(received[1]!.msg)).toBe(false)
    // Empty again: the next batch of Buffers takes the fast path (its bytes are msgpackr's either way).
    batch.add(to, undefined, Buffer.from('x'), 7)
    expect(Buffer.from(batch.encode(noMsgpackr)).equals(Buffer.from(codec.encode([16, [1, 1, null, null, 1, Buffer.from('x')]])))).toBe(true)
  })

  it('bounds its encoded size from above, and is empty after take', () => {
    const batch = new SendBatch()
    expect(batch.isEmpty).toBe(true)
    expect(batch.bytes).toBe(0)
    const payload = Buffer.alloc(64)
    for (let i = 0; i < 100; i++) batch.add(new Pid(sending.peer, i % 3, 0xffffffff), new Pid(sending.local, 2 ** 40, 1), payload, 70)
    const bound = batch.bytes
    const { encodedBytes } = roundTrip(batch)
    expect(encodedBytes).toBeLessThanOrEqual(bound)
    expect(batch.isEmpty).toBe(true)
    expect(batch.bytes).toBe(0)
  })
})

describe('readSendBatch', () => {
  const cases: Array<[string, unknown]> = [
    ['not a list', 'runs'],
    ['an empty list', []],
    ['a truncated header', [1, 1, null, null]],
    ['a header with no message', [1, 1, null, null, 1]],
    ['a negative recipient id that marks nothing', [-3, 1, null, null, 1, 'm']],
    ['a recipient creation that is not a number', [1, '1', null, null, 1, 'm']],
    ['a sender id without a creation', [1, 1, 2, null, 1, 'm']],
    ['a sender creation without an id', [1, 1, null, 2, 1, 'm']],
    ['a count of zero', [1, 1, null, null, 0, 'm']],
    ['a count past the end', [1, 1, null, null, 2, 'm']],
    ['a fractional count', [1, 1, null, null, 1.5, 'm', 'n']],
    ['a truncated run after a control', [[11], 1, 1, null, null, 2, 'm']],
  ]
  for (const [what, values] of cases) {
    it(`refuses ${what} with 4007 before delivering any message of that run`, () => {
      const received: unknown[] = []
      expect(() => readSendBatch(values, receiving, (_to, _from, msgs) => received.push(msgs), () => {})).toThrow(
        expect.objectContaining({ closeCode: CLOSE_CODES.unknownControl }),
      )
      expect(received).toEqual([])
    })
  }

  it('refuses a batch before the handshake named the two nodes', () => {
    expect(() => readSendBatch([1, 1, null, null, 1, 'm'], undefined, () => {}, () => {})).toThrow(/no names before the handshake/)
  })
})

describe('calls and replies in a batch', () => {
  it('travel as marked values in their place among the runs, with no array of their own', () => {
    const batch = new SendBatch()
    const to = new Pid(sending.peer, 5, 9)
    const from = new Pid(sending.local, 3, 4)
    batch.add(to, from, 'before', 9)
    batch.addCall(5, 9, 12, 30, 4, 'request', 10)
    batch.addCall('echo', null, 13, 31, 4, 'by name', 10)
    batch.addReply(7, 40, 9, true, 'value', 8)
    batch.add(to, from, 'after', 9)
    const values = (codec.decode(batch.encode(codec)) as [number, unknown[]])[1]
    expect(values).toEqual([
      ...[5, 9, 3, 4, 1, 'before'],
      ...[CALL_MARK, 5, 9, 12, 30, 4, 'request'],
      ...[CALL_MARK, 'echo', null, 13, 31, 4, 'by name'],
      ...[REPLY_MARK, 7, 40, 9, true, 'value'],
      ...[5, 9, 3, 4, 1, 'after'],
    ])
    const seen: unknown[] = []
    readSendBatch(
      values,
      receiving,
      (_to, _from, msgs, start, end) => seen.push(...msgs.slice(start, end)),
      () => {},
      (v, at) => seen.push(v.slice(at, at + (v[at] === CALL_MARK ? CALL_VALUES : REPLY_VALUES))),
    )
    expect(seen).toEqual([
      'before',
      [CALL_MARK, 5, 9, 12, 30, 4, 'request'],
      [CALL_MARK, 'echo', null, 13, 31, 4, 'by name'],
      [REPLY_MARK, 7, 40, 9, true, 'value'],
      'after',
    ])
  })

  it('refuses a truncated call or reply, and one where the reader expects none, with 4007', () => {
    const accept = (): void => {}
    for (const values of [[CALL_MARK, 5, 9, 12, 30, 4], [REPLY_MARK, 7, 40, 9, true]]) {
      expect(() => readSendBatch(values, receiving, accept, accept, accept)).toThrow(expect.objectContaining({ closeCode: CLOSE_CODES.unknownControl }))
    }
    expect(() => readSendBatch([REPLY_MARK, 7, 40, 9, true, 'v'], receiving, accept, accept)).toThrow(
      expect.objectContaining({ closeCode: CLOSE_CODES.unknownControl }),
    )
  })
})
