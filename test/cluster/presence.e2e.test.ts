/**
 * Presence across real node processes over the transport: entries tracked on three nodes are listed everywhere,
 * and the entries of a node killed with SIGKILL, or frozen with SIGSTOP, leave every other node, as diffs, within
 * the tick window.
 */
import { describe, expect, it } from 'vitest'
import { spawnMesh } from '../support/spawn-node.ts'
import type { NodeProcessEvent, PidJson } from '../support/spawn-node.ts'

const TICK_MS = 2000

describe('presence over the transport', () => {
  it('lists entries of every node, and drops the entries of a killed node everywhere within the tick window', async () => {
    const nodes = await spawnMesh(['a@127.0.0.1', 'b@127.0.0.1', 'c@127.0.0.1'], { tickMs: TICK_MS, replicated: true })
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]]
    const tracked: PidJson[] = []
    for (const n of nodes) tracked.push(await n.request<PidJson>('spawnTracked', { key: `user-${n.name[0]}`, meta: { tab: 1 } }))
    // Every node sees three joins: its own and the two remote ones.
    const joined = (n: (typeof nodes)[0], node: string) => n.waitEvent((e: NodeProcessEvent) => e.kind === 'presence' && (e['joins'] as Array<{ node: string }>).some((j) => j.node === node))
    for (const n of nodes) for (const m of nodes) await joined(n, m.name)
    for (const n of nodes) {
      expect(await n.request('list')).toEqual([
        { key: 'user-a', node: a.name },
        { key: 'user-b', node: b.name },
        { key: 'user-c', node: c.name },
      ])
    }

    c.child.kill('SIGKILL')
    for (const n of [a, b]) {
      const left = await n.waitEvent((e) => e.kind === 'presence' && (e['leaves'] as Array<{ node: string }>).some((l) => l.node === c.name), TICK_MS)
      expect(left['leaves']).toEqual([{ key: 'user-c', meta: { tab: 1 }, node: c.name, pid: tracked[2] }])
      expect(await n.request('list')).toEqual([
        { key: 'user-a', node: a.name },
        { key: 'user-b', node: b.name },
      ])
    }

    // Once synced resolves on a, b lists what a tracked, with no waiting on b.
    await a.request('spawnTracked', { key: 'user-a2', meta: { tab: 2 } })
    await a.request('presenceSynced')
    expect(await b.request('list')).toContainEqual({ key: 'user-a2', node: a.name })
  })

  it('drops the entries of a node that stops answering (SIGSTOP) when the tick says it is down', async () => {
    const nodes = await spawnMesh(['a@127.0.0.1', 'b@127.0.0.1', 'c@127.0.0.1'], { tickMs: TICK_MS, replicated: true })
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]]
    await c.request<PidJson>('spawnTracked', { key: 'user-c', meta: 1 })
    for (const n of [a, b]) await n.waitEvent((e) => e.kind === 'presence' && (e['joins'] as Array<{ node: string }>).some((j) => j.node === c.name))
    // A frozen process keeps its sockets open: only the tick (silence for tickMs) can tell it is gone.
    c.child.kill('SIGSTOP')
    try {
      for (const n of [a, b]) {
        const down = await n.waitEvent((e) => e.kind === 'nodedown' && e['node'] === c.name, 3 * TICK_MS)
        expect(down['node']).toBe(c.name)
        await n.waitEvent((e) => e.kind === 'presence' && (e['leaves'] as Array<{ node: string }>).some((l) => l.node === c.name), TICK_MS)
        expect(await n.request('list')).toEqual([])
      }
    } finally {
      c.child.kill('SIGKILL')
    }
  })
})

