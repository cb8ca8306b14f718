/**
 * replicated.writes.writers<1|3>: replicated-map writes per second per writing node, three nodes (helper processes;
 * this one only coordinates), 100-byte Buffer values over a 100,000-key space. A write counts once every other node
 * has applied it: the figure is the remote changes applied on all nodes, divided by the receivers per write (2) and
 * by the writers. Writes a peer had not received when the key was written again coalesce (only the newest version is
 * sent), so under overload the figure counts what was replicated, not what was written (`extra.written` has that).
 */
import { nowMs, runScenario } from '../../child/harness.ts'
import { sampleRates } from '../../child/harness.ts'
import { startHelper } from '../../child/helper-process.ts'
import type { Helper } from '../../child/helper-process.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { HOST } from '../../child/wire.ts'

const NODES = 3

runScenario(async (params: ScenarioParams) => {
  const writers = Number(params['writers'])
  const names = Array.from({ length: NODES }, (_, i) => `rmap${i}@${HOST}`)
  const nodes: Helper[] = await Promise.all(names.map((name) => startHelper(import.meta.url, './replicated-node.js', { name }, params.cpuProfDir)))
  try {
    const infos = await Promise.all(nodes.map((n) => n.request<{ name: string; url: string }>({ type: 'info' })))
    await Promise.all(nodes.map((n) => n.request({ type: 'connect', peers: infos })))
    await Promise.all(nodes.slice(0, writers).map((n, i) => n.request({ type: 'write', prefix: `w${i}:` })))
    let written = 0
    const { rates, cpu } = await sampleRates(params, async () => {
      const marks = await Promise.all(nodes.map((n) => n.request<{ count: number; written: number }>({ type: 'mark' })))
      written = marks.reduce((s, m) => s + m.written, 0)
      return { count: marks.reduce((s, m) => s + m.count, 0) / (NODES - 1) / writers, atMs: nowMs() }
    })
    await Promise.all(nodes.map((n) => n.request({ type: 'halt' })))
    return [{ name: `replicated.writes.writers${writers}`, values: rates, cpu: { sender: cpu.self }, extra: { nodes: NODES, writers, valueBytes: 100, written } }]
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
  }
})
