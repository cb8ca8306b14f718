/**
 * The replicated map across real node processes over the transport: concurrent writers converge on every node, a
 * writer's `synced` resolves only once its peers hold its writes, and a node killed with SIGKILL and started again
 * catches up with what changed while it was down.
 */
import { describe, expect, it } from 'vitest'
import { spawnMesh, spawnNode, waitNodesUp } from '../support/spawn-node.ts'

const keys = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`)

describe('replicated map over the transport', () => {
  it('concurrent writers on three nodes converge to one map', async () => {
    const [a, b, c] = await spawnMesh(['a@127.0.0.1', 'b@127.0.0.1', 'c@127.0.0.1'], { replicated: true })
    // Overlapping keys written at once from two nodes: last writer wins must pick the same value everywhere.
    await Promise.all([
      a!.request('fill', { prefix: 'k', count: 5000, tag: 'a', done: 'done:a' }),
      b!.request('fill', { prefix: 'k', count: 5000, tag: 'b', done: 'done:b' }),
      c!.request('fill', { prefix: 'c', count: 1000, tag: 'c', done: 'done:c' }),
    ])
    // A node that has a writer's `done` key has all of that writer's earlier writes: deltas keep their order.
    const all = ['done:a', 'done:b', 'done:c', ...keys('k', 5000), ...keys('c', 1000)]
    for (const n of [a!, b!, c!]) expect(await n.request('waitKeys', { keys: ['done:a', 'done:b', 'done:c'] })).toBe(6003)
    const digests = await Promise.all([a!, b!, c!].map((n) => n.request<string>('digest')))
    expect(new Set(digests).size).toBe(1)
    const entries = await a!.request<Array<[string, string]>>('entries')
    expect(entries.map(([k]) => k).sort()).toEqual([...all].sort())
    const tags = new Set(entries.filter(([k]) => k.startsWith('k')).map(([, v]) => Buffer.from(v.slice(4), 'hex').toString().split(':')[0]))
    expect([...tags].every((t) => t === 'a' || t === 'b')).toBe(true)
  })

  it('once synced resolves on a writer, every peer holds its writes: no waiting on the readers', async () => {
    const [a, b, c] = await spawnMesh(['a@127.0.0.1', 'b@127.0.0.1', 'c@127.0.0.1'], { replicated: true })
    await a!.request('fill', { prefix: 's', count: 20_000, tag: 'a', done: 'done:s' })
    await a!.request('synced', { timeoutMs: 10_000 })
    const wanted = ['done:s', 's0', 's19999']
    for (const n of [b!, c!]) expect(await n.request('present', { keys: wanted })).toEqual(wanted)
    await a!.request('set', { key: 'one-more', value: 'x' })
    expect((await a!.request<string[]>('replicatedTo', { atLeast: 2, timeoutMs: 10_000 })).sort()).toEqual([b!.name, c!.name].sort())
    for (const n of [b!, c!]) expect(await n.request('present', { keys: ['one-more'] })).toEqual(['one-more'])
  })

  it('a node killed with SIGKILL and restarted catches up with the changes it missed', async () => {
    const [a, b, c] = await spawnMesh(['a@127.0.0.1', 'b@127.0.0.1', 'c@127.0.0.1'], { replicated: true })
    await a!.request('fill', { prefix: 'k', count: 20_000, tag: 'first', done: 'done:first' })
    for (const n of [b!, c!]) await n.request('waitKeys', { keys: ['done:first'] })

    c!.child.kill('SIGKILL')
    await a!.waitEvent((e) => e.kind === 'nodedown' && e['node'] === c!.name)
    await b!.request('fill', { prefix: 'k', count: 300, tag: 'while-down', done: 'done:second' })
    for (let i = 0; i < 50; i++) await a!.request('delete', { key: `k${19_000 + i}` })
    await a!.request('set', { key: 'ttl', value: 'soon gone', ttlMs: 600_000 })
    await a!.request('waitKeys', { keys: ['done:second'] })

    const again = await spawnNode({ name: 'c@127.0.0.1', replicated: true })
    await again.request('connect', { name: a!.name, url: a!.url })
    await waitNodesUp(again, [a!.name, b!.name])
    const size = (await a!.request<{ keys: number }>('mapStats')).keys
    const deleted = keys('k', 19_050).slice(19_000)
    expect(await again.request('waitState', { size, present: ['done:second', 'ttl', 'k0'], absent: deleted })).toBe(size)
    expect(await again.request<string>('digest')).toBe(await a!.request<string>('digest'))
  })
})
