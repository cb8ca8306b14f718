/** Five node processes form a full mesh from one seed (the transitive peer list), and a leave is graceful. */
import { describe, expect, it } from 'vitest'
import { spawnNode, waitNodesUp } from '../support/spawn-node.ts'

describe('transitive mesh', () => {
  it('forms a 5-node mesh from one seed', async () => {
    const seed = await spawnNode({ name: 'seed@127.0.0.1' })
    const others = await Promise.all([1, 2, 3, 4].map((i) => spawnNode({ name: `n${i}@127.0.0.1` })))
    await Promise.all(others.map((o) => o.request('connect', { name: seed.name, url: seed.url })))
    const all = [seed, ...others]
    for (const n of all) {
      await waitNodesUp(n, all.filter((m) => m !== n).map((m) => m.name))
      expect((await n.request<string[]>('nodes')).sort()).toEqual(all.filter((m) => m !== n).map((m) => m.name).sort())
    }
  })

  it('reports a leaving node as leaving, not as a crash', async () => {
    const a = await spawnNode({ name: 'a@127.0.0.1' })
    const b = await spawnNode({ name: 'b@127.0.0.1' })
    await b.request('connect', { name: a.name, url: a.url })
    await b.request('leave')
    const down = await a.waitEvent((e) => e.kind === 'nodedown' && e['node'] === b.name)
    expect(down['reason']).toBe('leaving')
    await a.waitLog('"msg":"peer left"')
    expect(a.log()).not.toContain('"msg":"peer lost"')
  })
})
