/** Unit tests of FrameBatcher with a hand-turned event loop: one frame per turn, thresholds, streams, ordering. */
import { createMessageCodec, Pid, Ref } from '@cohort/core'
import type { Clock } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { FrameBatcher } from './frame-batcher.ts'
import type { FrameSink } from './frame-batcher.ts'
import { Reassembler } from '../wire/fragmenter.ts'
import { AttachedEntry, AttachmentReceiver } from '../wire/attachments.ts'
import { readFrame } from '../wire/wire-codec.ts'
import { CONTROL_CODES, validateControl } from '../wire/control-validation.ts'
import { CALL_MARK, readSendBatch } from '../wire/send-batch.ts'
import type { WireNames } from '../wire/control-validation.ts'

/** A clock whose setImmediate queue the test runs by hand: one call = one event-loop turn. */
function manualClock(): Clock & { turn(): void } {
  let queue: Array<() => void> = []
  return {
    now: () => 0,
    setTimeout: () => undefined,
    clearTimeout: () => undefined,
    setImmediate: (fn) => void queue.push(fn),
    turn() {
      const q = queue
      queue = []
      for (const fn of q) fn()
    },
  }
}

function recordingSink(): FrameSink & { frames: Buffer[]; messages: Uint8Array[]; buffered: number; callbacks: Array<() => void> } {
  return {
    frames: [],
    messages: [],
    buffered: 0,
    callbacks: [],
    write(frame, onWritten, tails) {
      this.frames.push(frame)
      // Tails (a fragment's chunk, an attached message's attachments) are the next WebSocket messages, as the
      // connection sends them.
      this.messages.push(frame)
      if (tails !== undefined) this.messages.push(...tails)
      this.callbacks.push(onWritten)
    },
    get bufferedAmount() {
      return this.buffered
    },
  }
}

/** The socket that was backed up has drained: the batcher is told (as a connection's write callback does) and turns. */
function drainSocket(clock: ReturnType<typeof manualClock>, sink: ReturnType<typeof recordingSink>, batcher: FrameBatcher): void {
  sink.buffered = 0
  batcher.attach(sink)
  for (let i = 0; i < 100; i++) clock.turn()
}

const decoder = createMessageCodec()
/** The receiving side's names, for compact forms (batchers in these tests are a@h, sending to b@h). */
const RECEIVER: WireNames = { local: 'b@h', peer: 'a@h' }
/** Decodes WebSocket messages into what they carry, reassembling fragments; returns `tag`s in arrival order. */
function arrivals(messages: Uint8Array[]): unknown[] {
  const out: unknown[] = []
  const r = new Reassembler(1 << 30)
  const attached = new AttachmentReceiver(1 << 30)
  for (const message of messages) {
    if (attached.awaiting) {
      const whole = attached.attachment(message)
      if (whole !== undefined) out.push(((validateControl(decoder.decodeAttached(whole.encoding, whole.attachments)) as { msg: { tag: unknown } }).msg).tag)
      continue
    }
    if (r.awaitingChunk) {
      const whole = r.chunk(message)
      if (whole !== undefined) out.push(((validateControl(decoder.decode(whole)) as { msg: { tag: unknown } }).msg).tag)
      continue
    }
    readFrame(Buffer.from(message), decoder, 1 << 30, (v) => {
      if (Array.isArray(v) && v[0] === CONTROL_CODES.batch) {
        readSendBatch(
          v[1],
          { local: 'b@h', peer: 'a@h' },
          (_to, _from, msgs, start, end) => {
            for (let i = start; i < end; i++) out.push((msgs[i] as { tag: unknown }).tag)
          },
          (control) => out.push(validateControl(control, RECEIVER).type),
          (values, at) => out.push(values[at] === CALL_MARK ? 'call' : 'reply'),
        )
        return
      }
      if (Array.isArray(v) && v[0] === CONTROL_CODES.attached) {
        attached.head(v)
        return
      }
      const m = validateControl(v)
      if (m.type === 'fragment') r.head(m)
      else out.push(m.type === 'send' ? (m.msg as { tag: unknown }).tag : m.type)
    })
  }
  return out
}

function setup(overrides: Partial<{ fragmentBytes: number; flushThresholdBytes: number; batchBytes: number; names: WireNames }> = {}) {
  const clock = manualClock()
  const sink = recordingSink()
  let progress = 0
  const batcher = new FrameBatcher({
    codec: createMessageCodec(),
    clock,
    fragmentBytes: overrides.fragmentBytes ?? 1024,
    flushThresholdBytes: overrides.flushThresholdBytes ?? 64 * 1024,
    batchBytes: overrides.batchBytes ?? 0,
    ...(overrides.names === undefined ? {} : { names: overrides.names }),
    onProgress: () => void progress++,
  })
  batcher.attach(sink)
  const send = (tag: unknown, from?: Pid, size = 0): void => {
    const msg = { tag, pad: size > 0 ? Buffer.alloc(size) : undefined }
    const control = { type: 'send' as const, to: new Pid('b@h', 1, 1), from, msg }
    batcher.enqueueEncoded(batcher.encode(control), from)
  }
  /** A small send queued unencoded, as websocket-node.ts does when its size is bounded. */
  const sendBatched = (tag: unknown, from?: Pid): void => {
    batcher.enqueueBatched(new Pid('b@h', 1, 1), from, { tag }, 100)
  }
  return { clock, sink, batcher, send, sendBatched, progress: () => progress }
}

describe('FrameBatcher', () => {
  it('writes everything sent in one turn as one frame', () => {
    const { clock, sink, send, batcher } = setup()
    for (let i = 0; i < 100; i++) send(i)
    expect(sink.frames).toHaveLength(0)
    expect(batcher.queuedBytes).toBeGreaterThan(0)
    clock.turn()
    expect(sink.frames).toHaveLength(1)
    expect(arrivals(sink.messages)).toEqual([...Array(100).keys()])
    expect(batcher.queuedBytes).toBe(0)
  })

  it('flushes at once when the batch reaches flushThresholdBytes', () => {
    const { sink, send } = setup({ flushThresholdBytes: 2048 })
    for (let i = 0; i < 10; i++) send(i, undefined, 500)
    expect(sink.frames.length).toBeGreaterThanOrEqual(2)
    expect(sink.frames.every((f) => f.length <= 2048 + 1024)).toBe(true)
  })

  it("writes a turn's first few KiB of calls at once to a peer with no earlier call to answer; the rest as one frame", () => {
    const { clock, sink, sendBatched, batcher } = setup({ batchBytes: 64 * 1024, names: { local: 'a@h', peer: 'b@h' } })
    const port = new Pid('a@h', 8, 1)
    const call = (i: number): void => {
      batcher.enqueueBatchedControl({ type: 'call', to: new Pid('b@h', 1, 1), port, ref: new Ref('a@h', i + 1, 1), request: { i, pad: 'x'.repeat(40) }, from: undefined })
    }
    const reply = (i: number): void => {
      batcher.enqueueBatchedControl({ type: 'reply', to: new Pid('b@h', 9, 1), ref: new Ref('b@h', i + 1, 1), value: { i, pad: 'x'.repeat(40) }, released: true, from: new Pid('a@h', 1, 1) })
    }
    const callsUntilFrame = (from: number, frames: number): number => {
      let i = from
      while (sink.frames.length < frames) {
        if (i - from > 1000) throw new Error(`no early frame after ${i - from} calls`)
        call(i++)
      }
      return i - from
    }
    // One-way sends alone never leave early: nobody waits on them, and a write per turn is what they cost.
    for (let i = 0; i < 500; i++) sendBatched(i)
    expect(sink.frames).toHaveLength(0)
    clock.turn()
    expect(sink.frames).toHaveLength(1)
    // Nor do replies: the caller splits its own calls, and a callee answers a turn's calls in one frame.
    for (let i = 0; i < 500; i++) reply(i)
    expect(sink.frames).toHaveLength(1)
    clock.turn()
    expect(sink.frames).toHaveLength(2)
    // Calls to a peer that owes none leave early once a few KiB are queued, before the turn ends; not per call.
    const early = callsUntilFrame(0, 3)
    expect(early).toBeGreaterThan(10)
    // One early frame per turn: the rest waits for the turn's end, as one frame.
    for (let i = early; i < early + 200; i++) call(i)
    expect(sink.frames).toHaveLength(3)
    clock.turn()
    expect(sink.frames).toHaveLength(4)
    // The peer still owes all of them, so it has work: the next turn's calls wait for its end, as one frame.
    for (let i = early + 200; i < early + 400; i++) call(i)
    expect(sink.frames).toHaveLength(4)
    clock.turn()
    expect(sink.frames).toHaveLength(5)
    // Once every earlier call has ended (replies, downs, or demonitors for calls given up), the early frame is back.
    for (let i = 0; i < early + 399; i++) batcher.callEnded(i + 2)
    batcher.enqueueBatchedControl({ type: 'demonitor', from: port, to: new Pid('b@h', 1, 1), ref: new Ref('a@h', 1, 1) })
    expect(callsUntilFrame(early + 400, 6)).toBe(early)
    clock.turn()
    expect(arrivals(sink.messages).filter((a) => a === 'call')).toHaveLength(2 * early + 400)
    expect(batcher.queuedBytes).toBe(0)
  })

  it('forgets a call its peer has owed for more than a few turns, so one deferred reply does not stop early frames', () => {
    const { clock, sink, batcher } = setup({ batchBytes: 64 * 1024, names: { local: 'a@h', peer: 'b@h' } })
    const port = new Pid('a@h', 8, 1)
    let ref = 1
    const call = (): void => {
      batcher.enqueueBatchedControl({ type: 'call', to: new Pid('b@h', 1, 1), port, ref: new Ref('a@h', ref++, 1), request: { pad: 'x'.repeat(40) }, from: undefined })
    }
    /** Frames written early by a turn of `n` calls (the turn's own frame, at its end, not counted). */
    const earlyFrames = (n: number): number => {
      const before = sink.frames.length
      for (let i = 0; i < n; i++) call()
      const early = sink.frames.length - before
      clock.turn()
      return early
    }
    // One call the peer holds on to (a reply it defers); every other call is answered within its turn.
    const held = ref
    expect(earlyFrames(1)).toBe(0)
    const answeredTurn = (): number => {
      const first = ref
      const early = earlyFrames(100)
      for (let r = first; r < ref; r++) batcher.callEnded(r)
      return early
    }
    // While the held call is recent, the peer has work: no early frame.
    expect([answeredTurn(), answeredTurn(), answeredTurn()]).toEqual([0, 0, 0])
    // Then the held call is forgotten, and a turn of calls to the now idle peer has its early frame again.
    expect(answeredTurn()).toBe(1)
    // Its late reply ends none of the calls still owed: one call left unanswered still means the peer has work.
    expect(earlyFrames(1)).toBe(0)
    batcher.callEnded(held)
    expect(earlyFrames(100)).toBe(0)
  })

  it('lets small messages of other senders overtake a large message in fragments', () => {
    const { clock, sink, send } = setup({ fragmentBytes: 1024, flushThresholdBytes: 4096 })
    const big = new Pid('a@h', 1, 1)
    const other = new Pid('a@h', 2, 1)
    send('large', big, 50_000)
    send('small', other)
    for (let i = 0; i < 100 && sink.frames.length < 100; i++) clock.turn()
    const order = arrivals(sink.messages)
    expect(order).toEqual(['small', 'large'])
    expect(sink.frames.length).toBeGreaterThan(5)
  })

  it('sends a large Buffer in a message as views of the senders own Buffer, never copied or changed', () => {
    const { clock, sink, batcher } = setup({ fragmentBytes: 64 * 1024, flushThresholdBytes: 64 * 1024 })
    const s = new Pid('a@h', 1, 1)
    const data = Buffer.alloc(300_000)
    for (let i = 0; i < data.length; i++) data[i] = i % 251
    const copy = Buffer.from(data)
    const parts = batcher.encodeParts({ type: 'send', to: new Pid('b@h', 1, 1), from: s, msg: { tag: 'file', data, after: 'x' } })
    batcher.enqueueParts(parts, s)
    batcher.enqueueParts(batcher.encodeParts({ type: 'send', to: new Pid('b@h', 1, 1), from: s, msg: { tag: 'next' } }), s)
    for (let i = 0; i < 100; i++) clock.turn()
    expect(arrivals(sink.messages)).toEqual(['file', 'next'])
    // Five chunks of the Buffer, each a view of it; the envelope before and after it are fragments of their own.
    const views = sink.messages.filter((m) => m.buffer === data.buffer)
    expect(views.map((v) => v.length)).toEqual([65_536, 65_536, 65_536, 65_536, 37_856])
    expect(data.equals(copy)).toBe(true)
    const r = new Reassembler(1 << 30)
    let whole: Uint8Array | undefined
    for (const m of sink.messages) {
      if (r.awaitingChunk) {
        whole = r.chunk(m) ?? whole
        continue
      }
      readFrame(Buffer.from(m), decoder, 1 << 30, (v) => {
        const control = validateControl(v)
        if (control.type === 'fragment') r.head(control)
      })
    }
    expect((validateControl(decoder.decode(whole!)) as { msg: { data: Buffer } }).msg.data.equals(copy)).toBe(true)
  })

  it('joins the parts of a message that turns out smaller than a fragment into one entry', () => {
    const { clock, sink, batcher } = setup({ fragmentBytes: 256 * 1024, flushThresholdBytes: 512 * 1024 })
    const s = new Pid('a@h', 1, 1)
    const data = Buffer.alloc(100_000, 3)
    const parts = batcher.encodeParts({ type: 'send', to: new Pid('b@h', 1, 1), from: s, msg: { tag: 'mid', data } })
    expect(parts.some((p) => p === data)).toBe(true)
    batcher.enqueueParts(parts, s)
    clock.turn()
    expect(sink.frames).toHaveLength(1)
    expect(sink.messages).toHaveLength(1) // no fragment head, no chunk
    expect(arrivals(sink.messages)).toEqual(['mid'])
  })

  it('reuses a large frame only once the write that carried it has been called back', () => {
    // Frames of 100 KB come from the pool (frame-pool.ts); the sink holds each write's callback, as a busy socket does.
    const { clock, sink, send } = setup({ fragmentBytes: 256 * 1024, flushThresholdBytes: 256 * 1024 })
    const written: Buffer[] = []
    for (let i = 0; i < 3; i++) {
      send(`large ${i}`, undefined, 100_000)
      clock.turn()
      written.push(Buffer.from(sink.frames[i]!))
    }
    expect(sink.frames).toHaveLength(3)
    // Three writes in flight: three distinct frames, none changed since it was written.
    expect(new Set(sink.frames.map((f) => f.buffer)).size).toBe(3)
    sink.frames.forEach((f, i) => expect(f.equals(written[i]!)).toBe(true))
    // The first write completes: its memory carries the next frame, the others are untouched.
    sink.callbacks[0]!()
    send('large 3', undefined, 100_000)
    clock.turn()
    expect(sink.frames[3]!.buffer).toBe(sink.frames[0]!.buffer)
    for (let i = 1; i < 3; i++) expect(sink.frames[i]!.equals(written[i]!)).toBe(true)
    expect(arrivals(sink.messages.slice(1))).toEqual(['large 1', 'large 2', 'large 3'])
  })

  it('keeps the frames of a new connection intact while the old one calls back late', () => {
    const { clock, sink, batcher, send } = setup({ fragmentBytes: 256 * 1024, flushThresholdBytes: 256 * 1024 })
    send('old', undefined, 100_000)
    clock.turn()
    // The connection goes away with its write not called back; the session's queue carries on over a new one.
    const next = recordingSink()
    batcher.attach(next)
    send('new 1', undefined, 100_000)
    clock.turn()
    const first = Buffer.from(next.frames[0]!)
    // The old socket's callback comes late: it frees the old frame, which the next frame may reuse...
    sink.callbacks[0]!()
    send('new 2', undefined, 100_000)
    clock.turn()
    expect(next.frames[1]!.buffer).toBe(sink.frames[0]!.buffer)
    // ...but never the new connection's frame still in flight.
    expect(next.frames[1]!.buffer).not.toBe(next.frames[0]!.buffer)
    expect(next.frames[0]!.equals(first)).toBe(true)
    expect(arrivals(next.messages)).toEqual(['new 1', 'new 2'])
  })

  it('sends Buffers of 16 KiB up to a fragment as attachments: the senders own Buffers, after the frame their head ends', () => {
    const { clock, sink, send, batcher } = setup({ fragmentBytes: 64 * 1024, flushThresholdBytes: 256 * 1024 })
    let corks = 0
    let uncorks = 0
    sink.cork = () => void corks++
    sink.uncork = () => void uncorks++
    const a = Buffer.alloc(20_000, 1)
    const b = Buffer.alloc(64 * 1024, 2)
    const attachedSend = (tag: unknown, data: Buffer[]): void => {
      const entry = batcher.encodeAttached({ type: 'send', to: new Pid('b@h', 1, 1), from: undefined, msg: { tag, data } })
      if (!(entry instanceof AttachedEntry)) throw new Error('expected an attached entry')
      batcher.enqueueAttached(entry)
    }
    send('before')
    attachedSend('first', [a, b])
    send('between')
    attachedSend('second', [a])
    attachedSend('third', [b])
    send('after')
    clock.turn()
    // Attached messages end their frame (two in a row share one); their attachments are the next WebSocket messages,
    // in order, the Buffers themselves.
    expect(sink.frames).toHaveLength(3)
    expect(sink.messages).toHaveLength(7)
    expect(sink.messages[1]).toBe(a)
    expect(sink.messages[2]).toBe(b)
    expect(sink.messages[4]).toBe(a)
    expect(sink.messages[5]).toBe(b)
    expect(arrivals(sink.messages)).toEqual(['before', 'first', 'between', 'second', 'third', 'after'])
    // One flush, one cork: its frames and attachments reach the kernel together.
    expect([corks, uncorks]).toEqual([1, 1])
    expect(batcher.queuedBytes).toBe(0)
    expect(batcher.bytesOut).toBeGreaterThan(a.length * 2 + b.length * 2)
  })

  it('writes a queued attached message before a stream that starts behind it; its sender\'s next one waits behind the stream', () => {
    const { clock, sink, send, batcher } = setup({ fragmentBytes: 32 * 1024 })
    const sender = new Pid('a@h', 7, 1)
    const attached = (tag: string) => {
      const entry = batcher.encodeAttached({ type: 'send', to: new Pid('b@h', 1, 1), from: sender, msg: { tag, data: Buffer.alloc(20_000) } })
      expect(entry).toBeInstanceOf(AttachedEntry)
      batcher.enqueueAttached(entry as AttachedEntry, sender)
    }
    attached('attached')
    send('large', sender, 200_000)
    attached('attached after')
    send('after', sender)
    for (let i = 0; i < 10; i++) clock.turn()
    expect(arrivals(sink.messages)).toEqual(['attached', 'large', 'attached after', 'after'])
  })

  it('writes an attached message over a fragment whole, only while the socket has room: others overtake it, its sender waits', () => {
    const { clock, sink, send, batcher } = setup({ fragmentBytes: 32 * 1024 })
    const sender = new Pid('a@h', 7, 1)
    const entry = batcher.encodeAttached({ type: 'send', to: new Pid('b@h', 1, 1), from: sender, msg: { tag: 'whole', data: Buffer.alloc(100_000) } })
    expect(entry).toBeInstanceOf(AttachedEntry)
    sink.buffered = 1 << 20
    batcher.enqueueAttached(entry as AttachedEntry, sender)
    send('mine after', sender)
    send('other', new Pid('a@h', 9, 1))
    clock.turn()
    expect(arrivals(sink.messages)).toEqual(['other'])
    expect(batcher.unsentBytes).toBeGreaterThan(100_000)
    drainSocket(clock, sink, batcher)
    expect(arrivals(sink.messages)).toEqual(['other', 'whole', 'mine after'])
    // Whole: one WebSocket message carries the Buffer, as the sender's own bytes, and nothing is left queued.
    expect(sink.messages.some((m) => m.length === 100_000)).toBe(true)
    expect(batcher.unsentBytes).toBe(0)
  })

  it('attaches Buffers adding up to what one flush of a stream writes, one Buffer or several; more than that streams', () => {
    // 32 KiB fragments, 64 KiB flushes: a flush writes four fragments of a stream, so up to 128 KiB attach.
    const { batcher } = setup({ fragmentBytes: 32 * 1024 })
    const attach = (msg: unknown) => batcher.encodeAttached({ type: 'send', to: new Pid('b@h', 1, 1), from: undefined, msg })
    expect(attach(Buffer.alloc(40_000))).toBeInstanceOf(AttachedEntry)
    expect(attach(Buffer.alloc(128 * 1024))).toBeInstanceOf(AttachedEntry)
    expect(attach(Buffer.alloc(128 * 1024 + 1))).toBeUndefined()
    expect(attach(Array.from({ length: 4 }, () => Buffer.alloc(30_000)))).toBeInstanceOf(AttachedEntry)
    expect(attach(Array.from({ length: 5 }, () => Buffer.alloc(30_000)))).toBeUndefined()
    expect(attach(Buffer.alloc(1000))).toBeInstanceOf(Uint8Array)
    // A flush that holds more fragments lets more attach: 256 KiB flushes write eight.
    const wide = setup({ fragmentBytes: 32 * 1024, flushThresholdBytes: 256 * 1024 }).batcher
    expect(wide.encodeAttached({ type: 'send', to: new Pid('b@h', 1, 1), from: undefined, msg: Buffer.alloc(256 * 1024) })).toBeInstanceOf(AttachedEntry)
    expect(wide.encodeAttached({ type: 'send', to: new Pid('b@h', 1, 1), from: undefined, msg: Buffer.alloc(256 * 1024 + 1) })).toBeUndefined()
  })

  it('keeps messages of the large message sender behind it, in order', () => {
    const { clock, sink, send } = setup({ fragmentBytes: 1024, flushThresholdBytes: 4096 })
    const s = new Pid('a@h', 1, 1)
    send('first', s, 10_000)
    send('second', s)
    send('third', s, 5_000)
    send('fourth', s)
    send('other', new Pid('a@h', 9, 1))
    for (let i = 0; i < 100; i++) clock.turn()
    expect(arrivals(sink.messages)).toEqual(['other', 'first', 'second', 'third', 'fourth'])
  })

  it('stops feeding fragments while the socket is backed up, but still writes small messages', () => {
    const { clock, sink, send, batcher } = setup({ fragmentBytes: 1024, flushThresholdBytes: 4096 })
    sink.buffered = 1 << 20
    send('large', new Pid('a@h', 1, 1), 20_000)
    clock.turn()
    expect(sink.frames).toHaveLength(0)
    send('tick-like', new Pid('a@h', 2, 1))
    clock.turn()
    expect(arrivals(sink.messages)).toEqual(['tick-like'])
    expect(batcher.unsentBytes).toBeGreaterThan(20_000)
    drainSocket(clock, sink, batcher)
    expect(arrivals(sink.messages)).toEqual(['tick-like', 'large'])
  })

  it('counts the socket buffer as of the last write, and what left it once the write completes', () => {
    const { clock, sink, send, batcher } = setup()
    send(1)
    clock.turn()
    expect(batcher.unsentBytes).toBe(0)
    sink.buffered = 5000 // the kernel took none of the frame yet
    send(2)
    clock.turn()
    expect(batcher.unsentBytes).toBe(5000)
    sink.buffered = 0
    expect(batcher.unsentBytes).toBe(5000) // not read again before the write completes: errs on the busy side
    sink.callbacks.at(-1)?.()
    expect(batcher.unsentBytes).toBe(0)
  })

  it('sends urgent controls ahead of a stream even from the same sender key', () => {
    const { clock, sink, send, batcher } = setup({ fragmentBytes: 1024, flushThresholdBytes: 1024 })
    send('large', undefined, 20_000)
    batcher.enqueueUrgent(batcher.encode({ type: 'tick' }))
    clock.turn()
    expect(arrivals(sink.frames.slice(0, 1))).toEqual(['tick'])
  })

  it('drops its queue on close', () => {
    const { clock, sink, send, batcher } = setup()
    send(1)
    batcher.close()
    send(2)
    clock.turn()
    expect(sink.frames).toHaveLength(0)
    expect(batcher.queuedBytes).toBe(0)
  })

  it('packs batched sends into one entry and keeps their order with encoded messages and large ones', () => {
    const { clock, sink, send, sendBatched, batcher } = setup({ batchBytes: 8 * 1024 })
    expect(batcher.canBatch).toBe(true)
    sendBatched(0)
    sendBatched(1)
    send(2) // an encoded message seals the batch before it
    sendBatched(3)
    send('big', new Pid('a@h', 9, 1), 4000) // a large message: the batch before it is sealed first
    expect(batcher.canBatch).toBe(false) // while it streams, small sends are encoded one by one
    for (let i = 0; i < 100 && batcher.queuedBytes > 0; i++) clock.turn()
    expect(arrivals(sink.messages)).toEqual([0, 1, 2, 3, 'big'])
    expect(batcher.canBatch).toBe(true)
  })

  it('carries small monitors, links, exits and downs in the batch, in order; anything else on its own', () => {
    const { clock, sink, sendBatched, batcher } = setup({ batchBytes: 8 * 1024 })
    const caller = new Pid('a@h', 7, 1)
    const callee = new Pid('b@h', 1, 1)
    const ref = new Ref('a@h', 3, 1)
    sendBatched('request', caller)
    expect(batcher.enqueueBatchedControl({ type: 'monitor', from: caller, to: callee, ref })).toBe(true)
    expect(batcher.enqueueBatchedControl({ type: 'link', from: caller, to: callee })).toBe(true)
    expect(batcher.enqueueBatchedControl({ type: 'exit', from: caller, to: callee, reason: 'shutdown', link: true })).toBe(true)
    sendBatched('after', caller)
    expect(batcher.enqueueBatchedControl({ type: 'demonitor', from: caller, to: callee, ref })).toBe(true)
    // An error reason has no quick size bound, and a spawn request is not a batched kind: both are refused, and
    // the caller (websocket-node.ts) encodes them on their own.
    expect(batcher.enqueueBatchedControl({ type: 'exit', from: caller, to: callee, reason: new Error('boom'), link: true })).toBe(false)
    expect(batcher.enqueueBatchedControl({ type: 'spawnRequest', from: caller, ref, behaviour: 'b', args: [], link: false })).toBe(false)
    clock.turn()
    expect(sink.frames).toHaveLength(1)
    expect(arrivals(sink.messages)).toEqual(['request', 'monitor', 'link', 'exit', 'after', 'demonitor'])
  })

  it('carries small calls and replies in the batch as marked values; a large request or a foreign reply otherwise', () => {
    const { clock, sink, sendBatched, batcher } = setup({ batchBytes: 8 * 1024, names: { local: 'a@h', peer: 'b@h' } })
    const caller = new Pid('a@h', 7, 1)
    const port = new Pid('a@h', 8, 1)
    const callee = new Pid('b@h', 1, 1)
    sendBatched('first', caller)
    expect(batcher.enqueueBatchedControl({ type: 'call', to: callee, port, ref: new Ref('a@h', 3, 1), request: 'q', from: caller })).toBe(true)
    expect(batcher.enqueueBatchedControl({ type: 'call', to: 'echo', port, ref: new Ref('a@h', 4, 1), request: 'q', from: undefined })).toBe(true)
    // This node answering the peer's call: the port and the ref are the peer's.
    const theirs = { to: new Pid('b@h', 5, 1), ref: new Ref('b@h', 6, 1) }
    expect(batcher.enqueueBatchedControl({ type: 'reply', ...theirs, value: 'v', released: true, from: caller })).toBe(true)
    // A reply whose ref is another node's travels as a plain send, in the batch's array form.
    expect(batcher.enqueueBatchedControl({ type: 'reply', to: theirs.to, ref: new Ref('c@h', 6, 1), value: { tag: 'plain' }, released: false, from: caller })).toBe(true)
    // A request too large to bound is encoded on its own (websocket-node.ts's path), as code 17.
    expect(batcher.enqueueBatchedControl({ type: 'call', to: callee, port, ref: new Ref('a@h', 5, 1), request: 'x'.repeat(5000), from: caller })).toBe(false)
    sendBatched('last', caller)
    clock.turn()
    expect(sink.frames).toHaveLength(1)
    expect(arrivals(sink.messages)).toEqual(['first', 'call', 'call', 'reply', 'send', 'last'])
  })

  it('seals a batch at batchBytes and counts it in unsentBytes meanwhile', () => {
    const { clock, sink, sendBatched, batcher } = setup({ batchBytes: 1000 })
    for (let i = 0; i < 9; i++) sendBatched(i)
    // Nine bounds of 100 bytes, plus the batch's and the run's headers.
    expect(batcher.unsentBytes).toBeGreaterThan(900)
    expect(batcher.unsentBytes).toBeLessThan(1000)
    sendBatched(9) // reaches 1000: sealed into an entry (and queued to be written)
    expect(batcher.unsentBytes).toBeLessThan(1000)
    clock.turn()
    expect(arrivals(sink.messages)).toEqual([...Array(10).keys()])
  })
})
