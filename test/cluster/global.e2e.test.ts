/** Global names and singletons across real node processes. */
import { describe, expect, it } from 'vitest'
import { spawnNode, waitNodesUp } from '../support/spawn-node.ts'
import type { PidJson } from '../support/spawn-node.ts'

describe('global over the transport', () => {
  it('a registered name resolves on another node, and a second registration is refused', async () => {
    const a = await spawnNode({ clusterServices: true, name: 'a@127.0.0.1' })
    const b = await spawnNode({ clusterServices: true, name: 'b@127.0.0.1' })
    await b.request('connect', { name: a.name, url: a.url })
    await waitNodesUp(b, [a.name])
    await waitNodesUp(a, [b.name])
    const pid = await b.request<PidJson>('spawnMember')
    await b.request('register', { name: 'svc', pid })
    expect(await a.request('waitGlobal', { name: 'svc', node: b.name })).toEqual(pid)
    const other = await a.request<PidJson>('spawnMember')
    await expect(a.request('register', { name: 'svc', pid: other })).rejects.toMatchObject({ code: 'COHORT_ERR_NAME_TAKEN' })
  })

  it('a singleton moves to another node when its node is killed with SIGKILL', async () => {
    const nodes = await Promise.all(['a', 'b', 'c'].map((n) => spawnNode({ clusterServices: true, name: `${n}@127.0.0.1`, singleton: true })))
    const [a, b, c] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]]
    await b.request('connect', { name: a.name, url: a.url })
    await c.request('connect', { name: a.name, url: a.url })
    for (const n of nodes) await waitNodesUp(n, nodes.filter((m) => m !== n).map((m) => m.name))
    // Wherever it first started (a race while the mesh formed is settled by the conflict rule), all agree on it.
    const holder = await waitAgreed(nodes, 'ticker')
    const victim = nodes.find((n) => n.name === holder.node)!
    const survivors = nodes.filter((n) => n !== victim)
    victim.child.kill('SIGKILL')
    const next = await waitAgreed(survivors, 'ticker', victim.name)
    expect(next.node).not.toBe(victim.name)
    for (const n of survivors) expect(await n.request('callGlobal', { name: 'ticker' })).toBe(next.node)
  })
})

type Node = Awaited<ReturnType<typeof spawnNode>>

/**
 * Resolves with the holder of `name` once every node in `nodes` sees the same one (not on `notOn`), checking again
 * whenever any of them reports that a global name changed.
 */
async function waitAgreed(nodes: Node[], name: string, notOn?: string): Promise<PidJson> {
  for (;;) {
    const marks = nodes.map((n) => n.events.length)
    const seen = await Promise.all(nodes.map((n) => n.request<PidJson | null>('whereisGlobal', { name })))
    const first = seen[0]
    if (first != null && first.node !== notOn && seen.every((p) => p != null && p.node === first.node && p.id === first.id)) return first
    await Promise.race(nodes.map((n, i) => n.waitEvent((e, index) => index >= marks[i]! && e.kind === 'global')))
  }
}
