/**
 * A slow consumer in its own process: a sender floods a server actor whose handler takes 1 ms per message. Before
 * receiving-side flow control the receiver kept reading, its mailbox reached 44 million messages and it died of heap
 * exhaustion; now it stops reading that connection while the actor is behind, so its mailbox and heap stay bounded,
 * the sender is held back, and no nodedown happens.
 */
import { describe, expect, it } from 'vitest'
import { record } from './support/figures.ts'
import { waitUntil } from '../support/wait-until.ts'
import { startReliabilityNode } from './support/reliability-nodes.ts'
import type { NodeReport } from './support/reliability-nodes.ts'

describe('a slow consumer', () => {
  it('keeps the receiver bounded by not reading the sender while the actor is behind', { timeout: 60_000 }, async () => {
    // The default tickMs: a consumer that burns 100 ms of CPU per turn on a loaded machine must not look dead.
    const receiver = await startReliabilityNode({ name: 'receiver@127.0.0.1' })
    const sender = await startReliabilityNode({ name: 'sender@127.0.0.1' })
    await receiver.request('slowConsumer', { handleMs: 1 })
    await sender.request('connect', { name: receiver.name, url: receiver.url })
    // 20,000 messages a second offered, twenty times what the consumer handles.
    await sender.request('traffic', { to: [receiver.name], perTick: 200, everyMs: 10, padBytes: 50, sinkName: 'slow' })
    const runMs = 8_000
    const endAt = Date.now() + runMs
    let peakDepth = 0
    let peakHeap = 0
    let peakQueued = 0
    while (Date.now() < endAt) {
      const r = await receiver.request<{ handled: number; depth: number; heapUsed: number }>('slowDepth')
      peakDepth = Math.max(peakDepth, r.depth)
      peakHeap = Math.max(peakHeap, r.heapUsed)
      const s = await sender.request<NodeReport>('report')
      for (const p of s.stats.peers) peakQueued = Math.max(peakQueued, p.queuedBytes)
      await new Promise((res) => setTimeout(res, 250))
    }
    const handled = (await receiver.request<{ handled: number }>('slowDepth')).handled
    const sent = (await sender.request<NodeReport>('report')).sent
    const rstats = await receiver.request<NodeReport>('report')
    const readPauses = (rstats.stats.peers.find((p) => p.node === sender.name) as unknown as { readPauses: number } | undefined)?.readPauses ?? 0
    const downs = [...receiver.events, ...sender.events].filter((e) => e.kind === 'nodedown')
    record('slowConsumer', { handleMs: 1, runMs, sent, handled, peakMailbox: peakDepth, peakReceiverHeapMiB: +(peakHeap / 2 ** 20).toFixed(1), peakSenderQueuedKiB: +(peakQueued / 1024).toFixed(1), readPauses, nodedowns: downs.length })
    // The mark is 10,000 messages; what was already read from the socket comes on top, never the whole flood.
    expect(peakDepth).toBeLessThan(40_000)
    expect(sent).toBeLessThan(runMs * 20)
    expect(peakHeap).toBeLessThan(200 * 2 ** 20)
    expect(readPauses).toBeGreaterThan(0)
    expect(downs).toEqual([])
  })

  it('holds about mailboxHighWaterBytes of large messages for a stalled actor, not 10,000 of them', { timeout: 60_000 }, async () => {
    const receiver = await startReliabilityNode({ name: 'receiver@127.0.0.1' })
    const sender = await startReliabilityNode({ name: 'sender@127.0.0.1' })
    await receiver.request('gatedConsumer')
    await sender.request('connect', { name: receiver.name, url: receiver.url })
    // 100 KB messages to an actor that takes none: at 10,000 messages that would be a gigabyte.
    await sender.request('traffic', { to: [receiver.name], perTick: 20, everyMs: 10, padBytes: 100_000, sinkName: 'gated' })
    const rssBefore = (await receiver.request<NodeReport>('report')).memory.rss
    const paused = await waitUntil(
      'the receiver to stop reading the sender',
      () => receiver.request<NodeReport>('report'),
      (r) => r.stats.peers.some((p) => p.node === sender.name && p.readPaused),
    )
    // Held: the sender is paused by backpressure, its queue between the marks (it went busy at the 4 MiB high-water
    // mark, and the receiver may have read part of it before it stopped reading), and the mailbox has not grown past
    // the byte mark's worth. Waiting for the queue to read 4 MiB missed the pause when the receiver's last reads had
    // already taken it down.
    const held = await waitUntil('the sender to be held back', () => sender.request<NodeReport>('report'), (r) => r.heldBack > 0)
    const depth = (await receiver.request<{ depth: number }>('gatedDepth')).depth
    const rss = (await receiver.request<NodeReport>('report')).memory.rss
    await receiver.request('openGate')
    await sender.request('stopTraffic')
    const sent = (await sender.request<NodeReport>('report')).sent
    await waitUntil('every message to be taken once the gate opens', () => receiver.request<{ handled: number }>('gatedDepth'), (g) => g.handled === sent, { timeoutMs: 40_000 })
    const downs = [...receiver.events, ...sender.events].filter((e) => e.kind === 'nodedown')
    record('stalledLarge', { messageBytes: 100_000, mailboxAtPause: depth, receiverRssGrowthMiB: +((rss - rssBefore) / 2 ** 20).toFixed(1), senderQueuedKiB: +(Math.max(...held.stats.peers.map((p) => p.queuedBytes)) / 1024).toFixed(1), sent, nodedowns: downs.length })
    expect(paused.stats.peers.length).toBeGreaterThan(0)
    // Paused above the 1 MiB low-water mark, where a drain would have resumed it.
    expect(Math.max(...held.stats.peers.map((p) => p.queuedBytes))).toBeGreaterThanOrEqual(1024 * 1024)
    // 64 MiB of 100 KB messages is about 670, plus what was already read from the socket.
    expect(depth).toBeLessThan(2_000)
    expect(rss - rssBefore).toBeLessThan(300 * 2 ** 20)
    expect(downs).toEqual([])
  })
})
