import { startReplicatedMap, whichChildren } from '@cohort/core'
import { createNetwork } from '@cohort/core/testing'
import type { InMemoryNetwork } from '@cohort/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { CacheChange, CacheMap } from './cache-map.ts'
import { CACHE_SUPERVISOR_NAME, startCacheTree } from './cache-tree.ts'

let net: InMemoryNetwork | undefined

afterEach(async () => {
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

const startMap = (system: Parameters<typeof startReplicatedMap>[0], options: { scope: string }): CacheMap => startReplicatedMap<Uint8Array>(system, options)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('the cache supervision tree', () => {
  it('runs the replica under the cache supervisor, after the first children', async () => {
    net = createNetwork()
    const system = net.addNode('a@h')
    const first = { id: 'first', start: async (ctx: { receive: (f: () => boolean) => Promise<unknown> }) => void (await ctx.receive(() => false)) }
    const { root, map } = await startCacheTree(system, startMap, { scope: 'cache' }, [first])
    expect(system.whereis(CACHE_SUPERVISOR_NAME)?.equals(root)).toBe(true)
    const children = await whichChildren(system, root)
    expect(children.map((c) => [c.id, c.type])).toEqual([['first', 'worker'], ['replica', 'worker']])
    expect(system.isAlive(map.pid)).toBe(true)
  })

  it('restarts a crashed replica, which catches up from its peers, and keeps the subscribers', async () => {
    net = createNetwork()
    const a = net.addNode('a@h')
    const b = net.addNode('b@h')
    const ta = await startCacheTree(a, startMap, { scope: 'cache' })
    const tb = await startCacheTree(b, startMap, { scope: 'cache' })
    await net.settle()
    ta.map.set('k', bytes('v1'))
    await net.settle()
    expect(tb.map.get('k')).toEqual(bytes('v1'))
    const changes: CacheChange[] = []
    tb.map.subscribe((c) => changes.push(c))
    const before = tb.map.pid
    expect(tb.map.stopped).toBe(false)
    // Between the crash and the restart the map says it holds nothing, as it does: the servers answer LOADING then.
    const inTheGap: Array<[boolean, Uint8Array | undefined]> = []
    b.monitor(before, () => inTheGap.push([tb.map.stopped, tb.map.get('k')]))
    b.exit(before, 'kill')
    await net.settle()
    expect(inTheGap).toEqual([[true, undefined]])
    expect(tb.map.stopped).toBe(false)
    expect(tb.map.pid.equals(before)).toBe(false)
    expect(b.isAlive(tb.map.pid)).toBe(true)
    // The new replica started empty and caught up by digests.
    expect(tb.map.get('k')).toEqual(bytes('v1'))
    ta.map.set('k', bytes('v2'))
    await net.settle()
    expect(tb.map.get('k')).toEqual(bytes('v2'))
    expect(changes.map((c) => [c.type, c.key, new TextDecoder().decode(c.value)])).toContainEqual(['set', 'k', 'v2'])
  })

  it('does not restart a replica stopped on purpose', async () => {
    net = createNetwork()
    const a = net.addNode('a@h')
    const { root, map } = await startCacheTree(a, startMap, { scope: 'cache' })
    const pid = map.pid
    await map.stop()
    await net.settle()
    expect(a.isAlive(pid)).toBe(false)
    const [replica] = await whichChildren(a, root)
    expect(replica?.pid).toBeUndefined()
    expect(map.stopped).toBe(true)
    expect(() => map.set('k', bytes('v'))).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOPROC' }))
  })
})
