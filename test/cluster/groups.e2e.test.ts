/** Process groups across real node processes: a join is seen on another node; a SIGKILLed node leaves every group. */
import { describe, expect, it } from 'vitest'
import { spawnNode, waitNodesUp } from '../support/spawn-node.ts'
import type { PidJson } from '../support/spawn-node.ts'

describe('groups over the transport', () => {
  it('a join on one node is seen on another', async () => {
    const a = await spawnNode({ clusterServices: true, name: 'a@127.0.0.1' })
    const b = await spawnNode({ clusterServices: true, name: 'b@127.0.0.1' })
    await b.request('connect', { name: a.name, url: a.url })
    await waitNodesUp(a, [b.name])
    const pid = await a.request<PidJson>('spawnMember')
    await a.request('join', { group: 'room', pid })
    const joined = await b.waitEvent((e) => e.kind === 'group:join')
    expect(joined['pids']).toEqual([pid])
    expect(await b.request('members', { group: 'room' })).toEqual([pid])
  })

  it('after synced, a join is listed by every other node at once', async () => {
    const nodes = await Promise.all(['a', 'b', 'c'].map((n) => spawnNode({ clusterServices: true, name: `${n}@127.0.0.1` })))
    const [a, b, c] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]]
    await b.request('connect', { name: a.name, url: a.url })
    await c.request('connect', { name: a.name, url: a.url })
    for (const n of nodes) await waitNodesUp(n, nodes.filter((m) => m !== n).map((m) => m.name))
    // No wait on the other nodes' events: synced is the signal that they hold the join.
    const pids: PidJson[] = []
    for (let i = 0; i < 20; i++) {
      const pid = await a.request<PidJson>('spawnMember')
      pids.push(pid)
      await a.request('join', { group: `g${i}`, pid })
      await a.request('synced')
      for (const n of [b, c]) expect(await n.request('members', { group: `g${i}` })).toEqual([pid])
    }
  })

  it('a node killed with SIGKILL disappears from every group on every node', async () => {
    const nodes = await Promise.all(['a', 'b', 'c'].map((n) => spawnNode({ clusterServices: true, name: `${n}@127.0.0.1` })))
    const [a, b, c] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]]
    await b.request('connect', { name: a.name, url: a.url })
    await c.request('connect', { name: a.name, url: a.url })
    for (const n of nodes) await waitNodesUp(n, nodes.filter((m) => m !== n).map((m) => m.name))
    for (const n of nodes) await n.request('join', { group: 'room', pid: await n.request<PidJson>('spawnMember') })
    for (const n of nodes) await n.request('waitMembers', { group: 'room', nodes: nodes.map((m) => m.name) })

    c.child.kill('SIGKILL')
    for (const n of [a, b]) {
      const left = await n.waitEvent((e) => e.kind === 'group:leave' && (e['pids'] as PidJson[]).some((p) => p.node === c.name))
      expect((left['pids'] as PidJson[]).map((p) => p.node)).toEqual([c.name])
      expect((await n.request<PidJson[]>('members', { group: 'room' })).map((p) => p.node).sort()).toEqual([a.name, b.name])
    }
  })
})
