/**
 * SIGKILL under steady traffic: four nodes in their own namespaces send to each other all the time, with per-sender
 * sequence numbers; every few seconds one of them, picked at random, is killed and restarted at once (as Kubernetes
 * restarts a pod). Across every connection that lived, no message is lost or reordered; heap and unsent bytes stay
 * bounded on the survivors. COHORT_SOAK_MS makes it run longer.
 */
import { describe, expect, it } from 'vitest'
import type { NodeProcess } from '../support/spawn-node.ts'
import { Fabric, namespacesUnavailable } from './support/fabric.ts'
import type { FabricHost } from './support/fabric.ts'
import { record } from './support/figures.ts'
import { waitUntil } from '../support/wait-until.ts'
import { startReliabilityNode } from './support/reliability-nodes.ts'
import type { NodeReport } from './support/reliability-nodes.ts'

const unavailable = namespacesUnavailable()
const TICK_MS = 1000
const PORT = 4370
const RUN_MS = Number(process.env['COHORT_SOAK_MS'] ?? 9_000)
const KILL_EVERY_MS = 3_000

describe.skipIf(unavailable !== undefined)('SIGKILL of a random node under steady traffic', () => {
  it('loses and reorders nothing on any connection that lived, and keeps memory bounded', { timeout: RUN_MS + 60_000 }, async () => {
    const fabric = new Fabric(4)
    const names = fabric.hosts.map((h, i) => `k${i}@${h.address}`)
    const peers = fabric.hosts.map((h, i) => ({ name: names[i]!, url: `ws://${h.address}:${PORT}` }))
    const start = async (i: number): Promise<NodeProcess> => {
      const h = fabric.hosts[i] as FabricHost
      const n = await startReliabilityNode({ name: names[i]!, host: h.address, port: PORT, tickMs: TICK_MS }, h.ns)
      await n.request('join', { peers })
      await n.request('traffic', { to: names.filter((_, j) => j !== i), perTick: 10, everyMs: 10, padBytes: 100 })
      return n
    }
    const nodes: NodeProcess[] = []
    for (let i = 0; i < names.length; i++) nodes.push(await start(i))
    for (const n of nodes) await waitUntil(`${n.name} to see the others`, () => n.request<string[]>('nodes'), (ns) => ns.length === 3)
    let kills = 0
    let peakHeap = 0
    let peakQueued = 0
    const sample = async (n: NodeProcess): Promise<NodeReport> => {
      const r = await n.request<NodeReport>('report')
      peakHeap = Math.max(peakHeap, r.memory.heapUsed)
      for (const p of r.stats.peers) peakQueued = Math.max(peakQueued, p.queuedBytes)
      return r
    }
    const endAt = Date.now() + RUN_MS
    let violations = 0
    let checked = 0
    while (Date.now() < endAt) {
      await new Promise((r) => setTimeout(r, KILL_EVERY_MS))
      const victim = Math.floor(Math.random() * nodes.length)
      // What the victim's sink checked dies with it: count it first.
      const last = await sample(nodes[victim]!)
      violations += last.sink.gaps + last.sink.lateStarts
      checked += last.sink.received
      nodes[victim]!.child.kill('SIGKILL')
      await nodes[victim]!.exited
      kills++
      nodes[victim] = await start(victim)
      for (const n of nodes) await sample(n)
    }
    for (const n of nodes) await n.request('stopTraffic')
    for (const n of nodes) await waitUntil(`${n.name} to see the others again`, () => n.request<string[]>('nodes'), (ns) => ns.length === 3)
    const reports = await Promise.all(nodes.map(sample))
    for (const r of reports) {
      violations += r.sink.gaps + r.sink.lateStarts
      checked += r.sink.received
    }
    record('sigkill', { nodes: 4, kills, runMs: RUN_MS, messagesChecked: checked, lostOrReordered: violations, peakHeapMiB: +(peakHeap / 2 ** 20).toFixed(1), peakQueuedKiB: +(peakQueued / 1024).toFixed(1) })
    expect(kills).toBeGreaterThanOrEqual(2)
    expect(checked).toBeGreaterThan(10_000)
    expect(violations).toBe(0)
    expect(peakHeap).toBeLessThan(256 * 2 ** 20)
    expect(peakQueued).toBeLessThan(8 * 2 ** 20)
  })
})
