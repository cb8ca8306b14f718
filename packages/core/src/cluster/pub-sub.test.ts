import { afterEach, describe, expect, it } from 'vitest'
import type { ProcessCtx } from '../actor/process-function.ts'
import type { Pid } from '../pid.ts'
import type { ActorSystem } from '../system/actor-system.ts'
import { createNetwork } from '../testing/in-memory-network.ts'
import type { InMemoryNetwork } from '../testing/in-memory-network.ts'
import type { TraceRecord } from '../trace.ts'
import { startGroups } from './groups.ts'
import { startPubSub } from './pub-sub.ts'

let net: InMemoryNetwork | undefined

afterEach(async () => {
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

function subscriber(system: ActorSystem, inbox: unknown[]): Pid {
  return system.spawn(async (ctx: ProcessCtx) => {
    for (;;) inbox.push(await ctx.receive())
  })
}

describe('pub-sub', () => {
  it('publishes to every subscriber in the cluster once, one copy per remote node', async () => {
    net = createNetwork()
    const a = net.addNode('a@h')
    const b = net.addNode('b@h')
    const psA = startPubSub(a)
    const psB = startPubSub(b)
    const inboxes: unknown[][] = [[], [], [], []]
    psA.subscribe('news', subscriber(a, inboxes[0]!))
    psB.subscribe('news', subscriber(b, inboxes[1]!))
    psB.subscribe('news', subscriber(b, inboxes[2]!))
    psB.subscribe('sport', subscriber(b, inboxes[3]!))
    await net.settle()
    expect(psA.subscribers('news')).toHaveLength(3)
    expect(psA.topics().sort()).toEqual(['news', 'sport'])
    const remote: TraceRecord[] = []
    a.trace((r) => r.type === 'send' && (r.to as { node?: string }).node === 'b@h' && remote.push(r))
    expect(psA.publish('news', { headline: 'x' })).toBe(3)
    await net.settle()
    expect(inboxes).toEqual([[{ headline: 'x' }], [{ headline: 'x' }], [{ headline: 'x' }], []])
    expect(remote).toHaveLength(1)
  })

  it('unsubscribe and subscriber exit stop delivery; topics do not mix with the default groups scope', async () => {
    net = createNetwork()
    const a = net.addNode('a@h')
    const b = net.addNode('b@h')
    const groups = startGroups(a)
    const psA = startPubSub(a)
    const psB = startPubSub(b)
    const kept: unknown[] = []
    const gone: unknown[] = []
    const p = subscriber(b, kept)
    const q = subscriber(b, gone)
    const r = subscriber(b, [])
    psB.subscribe('t', p)
    psB.subscribe('t', q)
    psB.subscribe('t', r)
    psB.unsubscribe('t', q)
    b.exit(r, 'kill')
    await net.settle()
    expect(psA.publish('t', 1)).toBe(1)
    await net.settle()
    expect(kept).toEqual([1])
    expect(gone).toEqual([])
    expect(groups.members('t')).toEqual([])
    await psA.stop()
    await psB[Symbol.asyncDispose]()
    expect(() => startPubSub(a, null as never)).toThrow(expect.objectContaining({ option: 'options' }))
  })
})
