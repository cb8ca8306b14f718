/**
 * Receiving-side flow control over real sockets: an actor that falls behind stops its node reading the one connection
 * that feeds it, TCP holds the sender back, and everything else on both nodes goes on — other connections, calls,
 * ticks. Nothing is lost: once the actor catches up, every message arrives, in order.
 */
import { describe, expect, it } from 'vitest'
import { echo, testNode } from './test-support/nodes.ts'

describe('a receiver whose actor falls behind', () => {
  it('stops reading that connection, holds the sender back, keeps serving others, and loses nothing', async () => {
    // Three nodes share this process's event loop on a loaded machine: a tick window of a second leaves room for that.
    const tickMs = 1000
    const b = await testNode('b', { tickMs, system: { mailboxHighWaterMessages: 500 } })
    const a = await testNode('a', { tickMs, highWaterMarkBytes: 256 * 1024, lowWaterMarkBytes: 64 * 1024 })
    const c = await testNode('c', { tickMs })
    const echoPid = b.node.system.spawn(echo)
    const got: number[] = []
    let go: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (go = resolve))
    // 20,000 messages of 1 KiB: 20 MB, far more than the sockets' buffers and the sender's high-water mark hold.
    const total = 20_000
    const finished = new Promise<void>((resolve) => {
      b.node.system.register(
        'slow',
        b.node.system.spawn(async (ctx) => {
          await gate
          while (got.length < total) got.push(((await ctx.receive()) as { i: number }).i)
          resolve()
        }),
      )
    })
    await a.node.connect({ name: b.node.name, url: b.node.url })
    await c.node.connect({ name: b.node.name, url: b.node.url })
    let downs = 0
    a.node.on('nodedown', () => downs++)
    b.node.on('nodedown', () => downs++)
    const slow = { name: 'slow', node: b.node.name }
    // A sender that only sends, bounded by ctx.drain().
    const pad = 'x'.repeat(1000)
    let sent = 0
    const sender = new Promise<void>((resolve) => {
      a.node.system.spawn(async (ctx) => {
        for (let i = 0; i < total; i++) {
          ctx.send(slow, { i, pad })
          sent++
          await ctx.drain()
        }
        resolve()
      })
    })
    const bConn = (): number => b.node.stats().peers.find((p) => p.node === a.node.name)?.readPauses ?? 0
    const start = Date.now()
    // Wait until b stopped reading a, and a's sender is held: the mailbox is not growing without bound.
    while (bConn() === 0 || sent >= total) {
      if (Date.now() - start > 10_000) throw new Error('b never stopped reading a')
      await new Promise((r) => setImmediate(r))
    }
    const depth = (): number => b.node.system.processes().find((p) => p.name === 'slow')?.mailboxDepth ?? 0
    // Hold the consumer for several tick periods, measured by b's own ticks to a (nothing else goes that way): ten
    // ticks are two and a half tick windows. No false nodedown meanwhile, and other connections are served.
    const ticksOut = (): number => b.node.stats().peers.find((p) => p.node === a.node.name)?.bytesOut ?? 0
    const tickFrameBytes = 6 // a 4-byte entry header and the tick, [11], in two bytes
    const heldFrom = ticksOut()
    let calls = 0
    while (ticksOut() < heldFrom + 10 * tickFrameBytes) {
      expect(await c.node.system.call(echoPid, calls)).toBe(calls)
      calls++
      await new Promise((r) => setImmediate(r))
    }
    expect(sent).toBeLessThan(total)
    // The mailbox stays at the mark (500) plus what was already read from the socket, far from the 20,000 sent.
    expect(depth()).toBeLessThan(2_000)
    const queued = a.node.stats().peers.find((p) => p.node === b.node.name)?.queuedBytes ?? 0
    expect(queued).toBeLessThan(2 * 1024 * 1024)
    go()
    await sender
    await finished
    expect(got).toEqual(Array.from({ length: total }, (_, i) => i))
    expect(downs).toBe(0)
  }, 30_000)
})
