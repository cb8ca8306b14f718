/**
 * A slow link: node a dials node b through a proxy that adds 50 ms each way and carries 1 MB/s, while a sends to b
 * faster than that for several tick windows. No false nodedown (bytes keep arriving, however slowly), the sender is
 * held back by backpressure so its unsent bytes and heap stay bounded, and nothing is lost or reordered.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { Fabric, namespacesUnavailable } from './support/fabric.ts'
import { record } from './support/figures.ts'
import { waitUntil } from '../support/wait-until.ts'
import { startReliabilityNode } from './support/reliability-nodes.ts'
import type { NodeReport } from './support/reliability-nodes.ts'

const unavailable = namespacesUnavailable()
const PROXY = fileURLToPath(new URL('./support/slow-link-proxy.mjs', import.meta.url))
const TICK_MS = 1000
const PORT = 4370
const proxies: Array<{ kill(): void }> = []
afterEach(() => {
  for (const p of proxies.splice(0)) p.kill()
})

/** Starts the proxy in namespace `ns` and resolves with its port. */
async function startProxy(ns: string, options: object): Promise<number> {
  const env = { ...process.env }
  delete env['NODE_OPTIONS']
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PROXY, JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env })
  proxies.push({ kill: () => child.kill('SIGKILL') })
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port))
    child.once('exit', (code) => reject(new Error(`proxy exited with ${code}`)))
  })
}

describe.skipIf(unavailable !== undefined)('a slow, throttled link', () => {
  it('raises no false nodedown, keeps the sender bounded by backpressure, and loses nothing', { timeout: 60_000 }, async () => {
    const fabric = new Fabric(2)
    const [ha, hb] = fabric.hosts as [(typeof fabric.hosts)[0], (typeof fabric.hosts)[0]]
    const bytesPerSecond = 1_000_000
    const proxyPort = await startProxy(ha.ns, { listenHost: '127.0.0.1', targetHost: hb.address, targetPort: PORT, delayMs: 50, bytesPerSecond })
    // b advertises the proxy's address, so a reaches it only through the slow link.
    const b = await startReliabilityNode({ name: `b@${hb.address}`, host: hb.address, port: PORT, tickMs: TICK_MS, url: `ws://127.0.0.1:${proxyPort}` }, hb.ns)
    const a = await startReliabilityNode({ name: `a@${ha.address}`, host: ha.address, port: PORT, tickMs: TICK_MS, node: { highWaterMarkBytes: 512 * 1024, lowWaterMarkBytes: 128 * 1024 } }, ha.ns)
    await a.request('connect', { name: b.name, url: `ws://127.0.0.1:${proxyPort}` })
    // About 3 MB/s offered: three times what the link carries.
    await a.request('traffic', { to: [b.name], perTick: 30, everyMs: 10, padBytes: 1000 })
    const runMs = 6 * TICK_MS
    const endAt = Date.now() + runMs
    let peakQueued = 0
    let peakHeap = 0
    while (Date.now() < endAt) {
      const r = await a.request<NodeReport>('report')
      peakHeap = Math.max(peakHeap, r.memory.heapUsed)
      for (const p of r.stats.peers) peakQueued = Math.max(peakQueued, p.queuedBytes)
      await new Promise((res) => setTimeout(res, 200))
    }
    await a.request('stopTraffic')
    const sentReport = await a.request<NodeReport>('report')
    const sent = sentReport.targets[b.name]!.seq
    const final = await waitUntil('b to receive everything a sent', () => b.request<NodeReport>('report'), (r) => r.sink.received === sent, { timeoutMs: 30_000 })
    const downs = [...a.events, ...b.events].filter((e) => e.kind === 'nodedown')
    record('slowLink', { delayMsEachWay: 50, linkBytesPerSecond: bytesPerSecond, offeredBytesPerSecond: 3_000_000, runMs, messagesChecked: final.sink.received, lostOrReordered: final.sink.gaps + final.sink.lateStarts, falseNodedowns: downs.length, peakQueuedKiB: +(peakQueued / 1024).toFixed(1), peakHeapMiB: +(peakHeap / 2 ** 20).toFixed(1) })
    expect(downs).toEqual([])
    expect(final.sink.gaps + final.sink.lateStarts).toBe(0)
    // The high-water mark plus what one paused turn of the sender and the socket can hold.
    expect(peakQueued).toBeLessThan(2 * 1024 * 1024)
    expect(peakHeap).toBeLessThan(128 * 2 ** 20)
  })
})
