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
import type { CpuShare, ScenarioParams } from '../../child/protocol.ts'
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
    // Each node's CPU over each trial: the first node writes (the sender), the last only receives (with one writer).
    const cpuMarks: { cpu: NodeJS.CpuUsage; atMs: number }[][] = []
    const { rates } = await sampleRates(params, async () => {
      const marks = await Promise.all(nodes.map((n) => n.request<{ count: number; written: number; cpu: NodeJS.CpuUsage; atMs: number }>({ type: 'mark' })))
      written = marks.reduce((s, m) => s + m.written, 0)
      cpuMarks.push(marks)
      return { count: marks.reduce((s, m) => s + m.count, 0) / (NODES - 1) / writers, atMs: nowMs() }
    })
    await Promise.all(nodes.map((n) => n.request({ type: 'halt' })))
    const shareOf = (node: number): CpuShare[] =>
      cpuMarks.slice(1).map((to, t) => {
        const from = cpuMarks[t]![node]!
        const seconds = (to[node]!.atMs - from.atMs) / 1000
        const system = (to[node]!.cpu.system - from.cpu.system) / 1e6 / seconds
        return { total: Math.round(((to[node]!.cpu.user - from.cpu.user) / 1e6 / seconds + system) * 100) / 100, system: Math.round(system * 100) / 100 }
      })
    const cpu = { sender: shareOf(0), receiver: shareOf(NODES - 1) }
    // CPU per replicated write, in µs, of the writer and of a receiver: on a shared machine how much CPU the processes
    // got moves the rate; what each write costs them moves much less.
    const usPer = (shares: CpuShare[]): number[] => shares.map((s, t) => Math.round((s.total * 1e6) / Math.max(1, rates[t]!) * 100) / 100)
    const extra = { nodes: NODES, writers, valueBytes: 100, written, writerCpuUsPerWrite: usPer(cpu.sender), receiverCpuUsPerWrite: usPer(cpu.receiver) }
    return [{ name: `replicated.writes.writers${writers}`, values: rates, cpu, extra }]
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
  }
})
