/**
 * SIGTERM during load: a node sending steadily to two others is told to stop. It stops taking new work, says what it
 * had accepted for sending, leaves (which flushes its queues before the close), and exits. Every message it accepted
 * arrives, in order; nothing is lost.
 */
import { describe, expect, it } from 'vitest'
import { Fabric, namespacesUnavailable } from './support/fabric.ts'
import { record } from './support/figures.ts'
import { waitUntil } from '../support/wait-until.ts'
import { startReliabilityNode } from './support/reliability-nodes.ts'
import type { NodeReport } from './support/reliability-nodes.ts'

const unavailable = namespacesUnavailable()
const PORT = 4370

describe.skipIf(unavailable !== undefined)('SIGTERM under load', () => {
  it('delivers every message the node accepted before it, in order', { timeout: 60_000 }, async () => {
    const fabric = new Fabric(3)
    const names = fabric.hosts.map((h, i) => `t${i}@${h.address}`)
    const nodes = await Promise.all(fabric.hosts.map((h, i) => startReliabilityNode({ name: names[i]!, host: h.address, port: PORT, tickMs: 2000 }, h.ns)))
    const [sender, ...receivers] = nodes as [(typeof nodes)[0], ...typeof nodes]
    for (const r of receivers) await sender.request('connect', { name: r.name, url: `ws://${fabric.hosts[nodes.indexOf(r)]!.address}:${PORT}` })
    await sender.request('traffic', { to: receivers.map((r) => r.name), perTick: 50, everyMs: 5, padBytes: 200 })
    // Under load: wait until both receivers are taking a steady stream.
    for (const r of receivers) await waitUntil(`${r.name} to be under load`, () => r.request<NodeReport>('report'), (x) => x.sink.received > 5_000)
    const terminating = sender.waitEvent((e) => e.kind === 'terminating')
    sender.child.kill('SIGTERM')
    const accepted = (await terminating)['accepted'] as Record<string, { lastSeq: number; epoch: number }>
    const exit = await sender.exited
    expect(exit.code).toBe(0)
    let checked = 0
    let lost = 0
    for (const r of receivers) {
      const want = accepted[r.name]!
      const report = await waitUntil(`${r.name} to hear the end`, () => r.request<NodeReport>('report'), (x) => x.stats.peers.every((p) => p.node !== sender.name) || Object.values(x.sink.lastSeq).includes(want.lastSeq))
      const got = Object.values(report.sink.lastSeq)[0] ?? -1
      checked += report.sink.received
      lost += want.lastSeq - got
      expect(want.epoch).toBe(0)
      expect(report.sink.gaps + report.sink.lateStarts).toBe(0)
      expect(got).toBe(want.lastSeq)
      expect(report.sink.received).toBe(want.lastSeq + 1)
    }
    // A receiver may have every message before it has processed the sender's leave: wait for its nodedown.
    const left = await Promise.all(receivers.map((r) => r.waitEvent((e) => e.kind === 'nodedown' && e['node'] === sender.name)))
    expect(left.map((e) => e['reason'])).toEqual(['leaving', 'leaving'])
    record('sigterm', { receivers: 2, messagesAccepted: Object.values(accepted).reduce((n, a) => n + a.lastSeq + 1, 0), messagesChecked: checked, lost })
  })
})
