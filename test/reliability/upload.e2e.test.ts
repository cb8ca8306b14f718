/**
 * The transport README's upload loop against a stopped receiver: a process function sends 1 MiB chunks as fast as it
 * can to a node whose process is SIGSTOPped. Before ctx.drain() such a loop was never held back (2.08 GB queued in
 * 3 s); awaiting it between sends, the sender's queue stays near the high-water mark, and once the receiver runs
 * again every chunk arrives, in order.
 */
import { describe, expect, it } from 'vitest'
import { record } from './support/figures.ts'
import { waitUntil } from '../support/wait-until.ts'
import { startReliabilityNode } from './support/reliability-nodes.ts'

interface UploadState {
  sent: number
  done: boolean
  received: number
  inOrder: boolean
  bytes: number
  queued: number
  rss: number
}

describe('a process function that only sends, to a stopped receiver', () => {
  it('is held at the high-water mark by ctx.drain(), and everything arrives once the receiver runs again', { timeout: 60_000 }, async () => {
    const receiver = await startReliabilityNode({ name: 'receiver@127.0.0.1' })
    const sender = await startReliabilityNode({ name: 'sender@127.0.0.1' })
    await sender.request('connect', { name: receiver.name, url: receiver.url })
    receiver.child.kill('SIGSTOP')
    const count = 200
    try {
      await sender.request('upload', { to: receiver.name, chunkBytes: 1024 * 1024, count })
      let peakQueued = 0
      let peakRss = 0
      const endAt = Date.now() + 3_000
      while (Date.now() < endAt) {
        const s = await sender.request<UploadState>('uploadState')
        peakQueued = Math.max(peakQueued, s.queued)
        peakRss = Math.max(peakRss, s.rss)
        await new Promise((r) => setTimeout(r, 100))
      }
      const held = await sender.request<UploadState>('uploadState')
      receiver.child.kill('SIGCONT')
      const final = await waitUntil('every chunk to arrive', () => receiver.request<UploadState>('uploadState'), (s) => s.received === count, { timeoutMs: 40_000 })
      record('upload', { chunkBytes: 1024 * 1024, chunks: count, sentWhileStopped: held.sent, peakQueuedMiB: +(peakQueued / 2 ** 20).toFixed(1), peakSenderRssMiB: +(peakRss / 2 ** 20).toFixed(1), received: final.received, inOrder: final.inOrder })
      // The high-water mark (4 MiB) plus the chunk that crossed it and what the sockets hold, never the 200 MiB.
      expect(held.done).toBe(false)
      expect(peakQueued).toBeLessThan(16 * 2 ** 20)
      expect(final.inOrder).toBe(true)
      expect(final.bytes).toBe(count * 1024 * 1024)
    } finally {
      receiver.child.kill('SIGCONT')
    }
  })
})
