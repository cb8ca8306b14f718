/** Unit tests of Connection fed bytes through a fake socket: handshake, framing, bad input, deadlines and ticks in virtual time. */
import { createMessageCodec, Pid, Ref } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from '../wire/close-codes.ts'
import { encodeHandshake } from '../wire/handshake-codec.ts'
import { FrameBatcher } from './frame-batcher.ts'
import { ClientHandshake } from './handshake.ts'
import { writeFrame } from '../wire/wire-codec.ts'
import { TestClock } from '@cohort/core/testing'
import { clientIdentity, fedConnection, handshake } from '../test-support/fed-connection.ts'
import { wireForm } from '../test-support/wire-form.ts'
import { CONTROL_CODES } from '../wire/control-validation.ts'

const codec = createMessageCodec()

function frame(...messages: unknown[]): Buffer {
  const encoded = messages.map((m) => codec.encode(wireForm(m)))
  return writeFrame(encoded, encoded.length, encoded.reduce((n, e) => n + e.length, 0))
}

const send = { type: 'send', to: new Pid('s@h', 1, 1), from: undefined, msg: 'hi' }

describe('Connection', () => {
  it('comes up after a handshake fed as bytes, then delivers control messages in order', () => {
    const { conn, socket, delivered } = fedConnection()
    handshake(conn, socket)
    expect(conn.state).toBe('up')
    expect(conn.peer).toMatchObject({ name: 'c@h', creation: 2 })
    conn.receive(frame(send, { ...send, msg: 'second' }, { type: 'tick' }), true)
    expect(delivered.map((m) => (m as { msg: unknown }).msg)).toEqual(['hi', 'second'])
    expect(conn.messagesIn).toBe(3)
  })

  it('reads no control message before the handshake succeeds', () => {
    const { conn, socket, delivered, closed } = fedConnection()
    conn.receive(frame(send), true)
    expect(delivered).toEqual([])
    // Before the handshake every message is read as a handshake message: a frame is not one.
    expect(closed).toEqual([CLOSE_CODES.handshakeInvalid])
    expect(socket.closed[0]?.[0]).toBe(CLOSE_CODES.handshakeInvalid)
    const { conn: conn2, delivered: d2, closed: c2 } = fedConnection()
    conn2.receive(Buffer.from(codec.encode(send)), true)
    expect(d2).toEqual([])
    expect(c2).toEqual([CLOSE_CODES.handshakeInvalid])
  })

  it('refuses a wrong cookie with 4001 and logs the address but never the cookie', () => {
    const { conn, socket, closed, log } = fedConnection()
    const hs = new ClientHandshake({ ...clientIdentity, cookie: 'wrong-cookie' }, undefined)
    conn.receive(encodeHandshake(hs.hello()), true)
    conn.receive(encodeHandshake({ type: 'response', proof: new Uint8Array(32) }), true)
    expect(closed).toEqual([CLOSE_CODES.handshakeFailed])
    expect(socket.closed[0]?.[0]).toBe(CLOSE_CODES.handshakeFailed)
    const line = log.records.find((r) => r['msg'] === 'handshake failed: cookie not proven')
    expect(line).toMatchObject({ peer: '10.0.0.9:5555', closeCode: 4001 })
    const text = JSON.stringify(log.records)
    expect(text).not.toContain('wrong-cookie')
    expect(text).not.toContain('"cookie"')
  })

  it('closes a handshake that never finishes at the deadline', async () => {
    const { conn, clock, closed } = fedConnection()
    await clock.advance(499)
    expect(conn.state).toBe('handshaking')
    await clock.advance(1)
    expect(closed).toEqual([CLOSE_CODES.handshakeTimeout])
  })

  it('delivers every send of a batch entry, in order, to the recipient of each run', () => {
    const { conn, socket, delivered } = fedConnection()
    handshake(conn, socket)
    // Two runs: from c@h's actor 7 to s@h's actor 1 (two messages), then from outside any actor to actor 2.
    const runs = [1, 1, 7, 2, 2, 'hi', 'second', 2, 1, null, null, 1, 'third']
    conn.receive(frame([CONTROL_CODES.batch, runs], { type: 'tick' }), true)
    expect(delivered).toEqual([
      { type: 'send', to: new Pid('s@h', 1, 1), msg: 'hi' },
      { type: 'send', to: new Pid('s@h', 1, 1), msg: 'second' },
      { type: 'send', to: new Pid('s@h', 2, 1), msg: 'third' },
    ])
  })

  it("writes a turn's calls early only while the peer owes none: its replies and downs say which calls ended", async () => {
    const batcher = new FrameBatcher({ codec, clock: new TestClock(), fragmentBytes: 1024, flushThresholdBytes: 64 * 1024, batchBytes: 64 * 1024, names: { local: 's@h', peer: 'c@h' }, onProgress: () => {} })
    const { conn, socket, delivered, closed, log } = fedConnection({ up: (c) => c.attach(batcher) })
    handshake(conn, socket)
    const port = new Pid('s@h', 8, 1)
    const callee = new Pid('c@h', 1, 2)
    const call = (i: number): void => {
      batcher.enqueueBatchedControl({ type: 'call', to: callee, port, ref: new Ref('s@h', i + 1, 1), request: { i, pad: 'x'.repeat(40) }, from: undefined })
    }
    // The batcher's turn ends in a real setImmediate, queued before this one.
    const turnEnds = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
    const framesOf = async (from: number, to: number): Promise<number> => {
      const before = socket.sent.length
      for (let i = from; i < to; i++) call(i)
      const early = socket.sent.length - before
      await turnEnds()
      expect(socket.sent.length - before, 'one frame more at the turn\'s end').toBe(early + 1)
      return early
    }
    expect(await framesOf(0, 100), 'an idle peer gets the first KiB early').toBe(1)
    expect(await framesOf(100, 200), 'a peer that owes 100 calls has work').toBe(0)
    // It answers 150 of them and its callee exits before answering the other 50: every call has ended.
    // A reply in its compact form: the port's id, the ref's id, their incarnation, released, the value.
    const replies = Array.from({ length: 150 }, (_, i) => [CONTROL_CODES.reply, port.id, i + 1, 1, true, i])
    const downs = Array.from({ length: 50 }, (_, i) => ({ type: 'down', from: callee, to: port, ref: new Ref('s@h', i + 151, 1), reason: 'noproc' }))
    conn.receive(frame(...replies.slice(0, 75)), true)
    conn.receive(frame(...downs, ...replies.slice(75)), true)
    expect(closed, JSON.stringify(log.records.slice(-3))).toEqual([])
    expect(delivered.filter((d) => d.type === 'down')).toHaveLength(50)
    expect(delivered.filter((d) => d.type === 'reply')).toHaveLength(150)
    expect(await framesOf(200, 300), 'once all are answered the peer is idle again').toBe(1)
  })

  it('handles the control messages of a batch in their place among its sends', () => {
    const { conn, socket, delivered } = fedConnection()
    handshake(conn, socket)
    const caller = new Pid('c@h', 7, 2)
    const callee = new Pid('s@h', 1, 1)
    const ref = new Ref('c@h', 9, 2)
    const runs = [1, 1, 7, 2, 1, 'request', [CONTROL_CODES.monitor, caller, callee, ref], 1, 1, 7, 2, 1, 'next', [CONTROL_CODES.demonitor, caller, callee, ref]]
    conn.receive(frame([CONTROL_CODES.batch, runs]), true)
    expect(delivered).toEqual([
      { type: 'send', to: callee, msg: 'request' },
      { type: 'monitor', from: caller, to: callee, ref },
      { type: 'send', to: callee, msg: 'next' },
      { type: 'demonitor', from: caller, to: callee, ref },
    ])
  })

  it('reassembles a fragmented message from heads and the raw chunks after them, with frames in between', () => {
    const { conn, socket, delivered } = fedConnection()
    handshake(conn, socket)
    const whole = codec.encode(wireForm({ type: 'send', to: new Pid('s@h', 1, 1), from: undefined, msg: 'x'.repeat(900) }))
    const cut = 500
    conn.receive(frame({ type: 'fragment', id: 4, total: whole.length, length: cut }), true)
    conn.receive(Buffer.from(whole.subarray(0, cut)), true)
    conn.receive(frame(send), true) // a small message between fragments
    conn.receive(frame({ type: 'fragment', id: 4, total: whole.length, length: whole.length - cut }), true)
    expect(delivered).toEqual([{ type: 'send', to: new Pid('s@h', 1, 1), from: undefined, msg: 'hi' }])
    conn.receive(Buffer.from(whole.subarray(cut)), true)
    expect(delivered).toHaveLength(2)
    expect(delivered[1]).toMatchObject({ type: 'send', msg: 'x'.repeat(900) })
  })

  it('closes when a chunk is not the length its head announced (4006), or a head follows a head (4007)', () => {
    const head = { type: 'fragment', id: 4, total: 100, length: 10 }
    // After a head, the next message is its chunk, whatever it looks like: 11 bytes where 10 were announced.
    const short = fedConnection()
    handshake(short.conn, short.socket)
    short.conn.receive(frame(head), true)
    short.conn.receive(Buffer.alloc(11), true)
    expect(short.closed).toEqual([CLOSE_CODES.malformed])
    // Two heads in one frame: the second comes before the first one's chunk.
    const twice = fedConnection()
    handshake(twice.conn, twice.socket)
    twice.conn.receive(frame(head, head), true)
    expect(twice.closed).toEqual([CLOSE_CODES.unknownControl])
  })

  it('closes on a text frame, garbage, an unknown control and an oversized entry, each with its code', () => {
    const cases: Array<[Buffer, boolean, number]> = [
      [Buffer.from('hello'), false, CLOSE_CODES.textFrame],
      [Buffer.from([0, 0, 0, 2, 0xc1, 0xc1]), true, CLOSE_CODES.malformed],
      [frame([42, 'teleport']), true, CLOSE_CODES.unknownControl],
      [frame({ type: 'sendName', name: 'x', from: undefined, msg: Buffer.alloc(2000) }), true, CLOSE_CODES.messageTooLarge],
      [frame([CONTROL_CODES.batch, 'not a list']), true, CLOSE_CODES.unknownControl],
      [frame([CONTROL_CODES.batch, [1, 1, null, null, 3, 'a', 'b']]), true, CLOSE_CODES.unknownControl],
      [frame([CONTROL_CODES.batch, [1, 1, 'x', 1, 1, 'a']]), true, CLOSE_CODES.unknownControl],
      // A batch carries small controls, never another batch, a fragment, or a control it cannot validate.
      [frame([CONTROL_CODES.batch, [[CONTROL_CODES.batch, [1, 1, null, null, 1, 'a']]]]), true, CLOSE_CODES.unknownControl],
      [frame([CONTROL_CODES.batch, [[CONTROL_CODES.fragment, 1, 2, Buffer.alloc(4)]]]), true, CLOSE_CODES.unknownControl],
      [frame([CONTROL_CODES.batch, [[CONTROL_CODES.monitor, 'not a pid']]]), true, CLOSE_CODES.unknownControl],
      [frame([CONTROL_CODES.batch, [[42]]]), true, CLOSE_CODES.unknownControl],
    ]
    for (const [bytes, binary, code] of cases) {
      const { conn, socket, closed, delivered } = fedConnection()
      handshake(conn, socket)
      conn.receive(bytes, binary)
      expect(closed).toEqual([code])
      expect(delivered).toEqual([])
      conn.receive(frame(send), true)
      expect(delivered).toEqual([])
    }
  })

  it('ticks after a quarter of tickMs without traffic and closes after tickMs of silence', async () => {
    const { conn, socket, clock, closed } = fedConnection()
    handshake(conn, socket)
    const before = socket.sent.length
    await clock.advance(250)
    await clock.advance(0)
    expect(socket.sent.length).toBeGreaterThan(before)
    await clock.advance(500)
    conn.receive(frame({ type: 'tick' }), true)
    await clock.advance(750)
    expect(closed).toEqual([])
    await clock.advance(1000)
    expect(closed).toEqual([CLOSE_CODES.tickTimeout])
  })

  it('uses the larger tickMs when the peer announces one, and tells its node', async () => {
    const differs: number[] = []
    const { conn, socket, clock, closed } = fedConnection({ tickDiffers: (_conn, peerTickMs) => void differs.push(peerTickMs) })
    handshake(conn, socket, { ...clientIdentity, tickMs: 3000 })
    expect(differs).toEqual([3000])
    await clock.advance(1000)
    await clock.advance(1000)
    expect(closed).toEqual([]) // this node's own 1000 ms would have closed it by now
    await clock.advance(1250)
    expect(closed).toEqual([CLOSE_CODES.tickTimeout])
  })

  it('refuses a handshake that announces a tickMs out of range', () => {
    const { conn, closed } = fedConnection()
    const hs = new ClientHandshake({ ...clientIdentity, tickMs: 50 }, 's@h')
    conn.receive(encodeHandshake(hs.hello()), true)
    expect(closed).toEqual([CLOSE_CODES.handshakeInvalid])
  })
})
