/** startNode on loopback, flow control: fragmentation of a 50 MiB message, ordering behind it, backpressure. */
import { Pid } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { nameOf, nextEvent, testNode, until } from './test-support/nodes.ts'
import { rawPeer } from './test-support/raw-peer.ts'

const MiB = 1024 * 1024

describe('startNode flow control', () => {
  it('lets a small message overtake a 50 MiB message to the same peer, with no nodedown meanwhile', async () => {
    const options = { maxMessageBytes: 64 * MiB, tickMs: 400 }
    const a = await testNode('a', options)
    const b = await testNode('b', options)
    await a.node.connect({ name: b.node.name, url: b.node.url })
    const arrivals: string[] = []
    let done!: () => void
    const bothArrived = new Promise<void>((r) => (done = r))
    const sink = b.node.system.spawn({
      init: () => null,
      handleInfo: (msg: { tag: string; data?: Buffer }, state: null) => {
        arrivals.push(`${msg.tag}:${msg.data?.length ?? 0}`)
        if (arrivals.length === 2) done()
        return state
      },
    })
    let downs = 0
    a.node.on('nodedown', () => downs++)
    b.node.on('nodedown', () => downs++)
    const creation = a.node.system.creation
    const large = { type: 'send' as const, to: sink, from: new Pid(a.node.name, 1001, creation), msg: { tag: 'large', data: Buffer.alloc(50 * MiB, 1) } }
    const small = { type: 'send' as const, to: sink, from: new Pid(a.node.name, 1002, creation), msg: { tag: 'small' } }
    expect(a.node.distribution.send(b.node.name, large)).toBe('busy')
    // Send the small one only once the large one is well under way.
    const bytesIn = (): number => b.node.stats().peers.find((p) => p.node === a.node.name)?.bytesIn ?? 0
    await until(() => bytesIn() > 4 * MiB, 'the large message to be under way')
    expect(a.node.distribution.send(b.node.name, small)).toBe('busy')
    await bothArrived
    expect(arrivals).toEqual(['small:0', `large:${50 * MiB}`])
    expect(downs).toBe(0)
    await a.node.drain(b.node.name)
    const peer = a.node.stats().peers.find((p) => p.node === b.node.name)
    expect(peer?.bytesOut).toBeGreaterThan(50 * MiB)
    expect(peer?.queuedBytes).toBeLessThan(MiB)
  }, 30_000)

  it('delivers objects holding large Buffers intact, the Buffers left out of their encodings', async () => {
    const a = await testNode('a', { maxMessageBytes: 16 * MiB })
    const b = await testNode('b', { maxMessageBytes: 16 * MiB })
    await a.node.connect({ name: b.node.name, url: b.node.url })
    const received: { seq: number; data: Buffer; tail: Buffer }[] = []
    const sink = b.node.system.spawn({ init: () => null, handleInfo: (m: { seq: number; data: Buffer; tail: Buffer }, s: null) => (received.push(m), s) })
    // Sizes around the attachment size (16 KiB), the splice size (64 KiB), a fragment (256 KiB), what one message may
    // attach (1 MiB with the tail: written whole) and the codec's size-hint threshold (1 MiB); the 70,000-byte tail is
    // an attachment beside them or a part of a stream.
    const sizes = [16_383, 16_384, 20_000, 65_536, 100_000, 256 * 1024, 300_000, MiB - 70_000, MiB - 69_999, 2 * MiB, 3 * MiB + 7]
    const sent = sizes.map((size, seq) => {
      const data = Buffer.alloc(size)
      for (let i = 0; i < size; i += 997) data[i] = (i + seq) % 251
      return { seq, data, tail: Buffer.alloc(70_000, seq + 1) }
    })
    for (const m of sent) a.node.system.send(sink, m)
    await until(() => received.length === sizes.length, 'every object with large Buffers')
    expect(received.map((m) => m.seq)).toEqual([...sizes.keys()])
    received.forEach((m, i) => {
      expect(m.data.equals(sent[i]!.data)).toBe(true)
      expect(m.tail.equals(sent[i]!.tail)).toBe(true)
    })
  })

  it('keeps order for messages from the sender of a large message', async () => {
    const a = await testNode('a', { maxMessageBytes: 16 * MiB })
    const b = await testNode('b', { maxMessageBytes: 16 * MiB })
    await a.node.connect({ name: b.node.name, url: b.node.url })
    const arrivals: number[] = []
    const sink = b.node.system.spawn({ init: () => null, handleInfo: (m: { n: number }, s: null) => (arrivals.push(m.n), s) })
    const from = new Pid(a.node.name, 7, a.node.system.creation)
    for (let n = 0; n < 30; n++) {
      // Streams (2 MiB), attached messages written whole (700,000 bytes) or with the small ones (20,000 bytes), and
      // small ones, from one sender.
      const size = n % 5 === 0 ? 2 * MiB : n % 7 === 0 ? 700_000 : n % 3 === 0 ? 20_000 : 10
      a.node.distribution.send(b.node.name, { type: 'send', to: sink, from, msg: { n, pad: Buffer.alloc(size) } })
    }
    await until(() => arrivals.length === 30, 'all 30 messages')
    expect(arrivals).toEqual([...Array(30).keys()])
  })

  it("lets another actor's small message overtake 1 MiB Buffers queued before it, which arrive intact and in order", async () => {
    const a = await testNode('a', { maxMessageBytes: 16 * MiB })
    const b = await testNode('b', { maxMessageBytes: 16 * MiB })
    await a.node.connect({ name: b.node.name, url: b.node.url })
    const arrivals: string[] = []
    const lengths: number[] = []
    const sink = b.node.system.spawn({
      init: () => null,
      handleInfo: (m: { tag: string; data?: Buffer }, s: null) => {
        arrivals.push(m.tag)
        if (m.data !== undefined) lengths.push(m.data.length)
        return s
      },
    })
    const creation = a.node.system.creation
    const bulk = new Pid(a.node.name, 1001, creation)
    const other = new Pid(a.node.name, 1002, creation)
    // Each Buffer is what one message may attach at the defaults: it waits for the socket as a stream would.
    for (let i = 0; i < 8; i++) a.node.distribution.send(b.node.name, { type: 'send', to: sink, from: bulk, msg: { tag: `bulk${i}`, data: Buffer.alloc(MiB - 64, i) } })
    a.node.distribution.send(b.node.name, { type: 'send', to: sink, from: other, msg: { tag: 'small' } })
    await until(() => arrivals.length === 9, 'the 1 MiB Buffers and the small message')
    expect(arrivals).toEqual(['small', ...Array.from({ length: 8 }, (_, i) => `bulk${i}`)])
    expect(lengths).toEqual(Array(8).fill(MiB - 64))
  })

  it('reports busy above the high-water mark and keeps memory bounded for a slow receiver', async () => {
    const high = 2 * MiB
    const a = await testNode('a', { highWaterMarkBytes: high, lowWaterMarkBytes: MiB / 2 })
    const up = nextEvent(a.node, 'nodeup')
    const slow = await rawPeer(a.node.url, { cookie: 'test-cookie', name: nameOf('slow') })
    await up
    slow.ws.pause()
    // The receiver reads in short bursts, far slower than the sender could write.
    let received = 0
    slow.ws.on('message', (d: Buffer) => {
      received += d.length
      slow.ws.pause()
    })
    const timer = setInterval(() => slow.ws.resume(), 2)
    try {
      const to = new Pid(nameOf('slow'), 1, 1)
      const message = { type: 'send' as const, to, from: undefined, msg: Buffer.alloc(32 * 1024) }
      let busy = 0
      let maxQueued = 0
      const total = 1200 // ~38 MiB, many times the high-water mark
      for (let i = 0; i < total; i++) {
        if (a.node.distribution.send(nameOf('slow'), message) === 'busy') {
          busy++
          maxQueued = Math.max(maxQueued, a.node.stats().peers[0]!.queuedBytes)
          await a.node.drain(nameOf('slow'))
        }
      }
      await a.node.drain(nameOf('slow'))
      expect(busy).toBeGreaterThan(5)
      // Unsent bytes never exceed the high-water mark by more than one message.
      expect(maxQueued).toBeLessThan(high + 64 * 1024)
      await until(() => received >= total * 32 * 1024, 'the receiver to read everything', 30_000)
    } finally {
      clearInterval(timer)
    }
  }, 40_000)
})
