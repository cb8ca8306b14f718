import { supervisor } from '@cohort/core'
import type { ActorSystem, ServerBehaviour } from '@cohort/core'
import { createNetwork } from '@cohort/core/testing'
import type { InMemoryNetwork } from '@cohort/core/testing'
import { describe, expect, it } from 'vitest'
import { OBSERVER_NAME, clusterObserver, observerChild } from './cluster-observer.ts'
import type { TrafficSource } from './cluster-observer.ts'
import type { ClusterReport, NodeReport } from './observer-report.ts'

const crashy: ServerBehaviour = {
  name: 'crashy',
  init: () => null,
  handleCast(request: string) {
    if (request === 'crash') throw new Error('asked to crash')
    return null
  },
}

async function boot(network: InMemoryNetwork, name: string, traffic?: TrafficSource): Promise<ActorSystem> {
  const system = network.addNode(name)
  const inner = supervisor({ name: 'workers', children: [{ id: 'crashy', start: crashy, name: 'crashy' }] })
  await system.start(
    supervisor({ name: 'root', children: [observerChild(system, traffic === undefined ? {} : { traffic }), { id: 'workers', start: inner, type: 'supervisor' }] }),
  )
  return system
}

/** Asks through `network` and settles virtual time until the answer arrives. */
async function ask<R>(network: InMemoryNetwork, system: ActorSystem, node: string, request: string): Promise<R> {
  let answer: { value: R } | undefined
  let failure: unknown
  system.call<R>({ name: OBSERVER_NAME, node }, request, 10_000).then((value) => (answer = { value }), (error: unknown) => (failure = error))
  await network.waitFor(() => answer !== undefined || failure !== undefined)
  if (failure !== undefined) throw failure
  return answer!.value
}

describe('clusterObserver', () => {
  it('reports every node of the cluster with its supervision tree, seen from any node', async () => {
    await using network = createNetwork()
    const a = await boot(network, 'a@test')
    await boot(network, 'b@test')
    await boot(network, 'c@test')
    await network.settle()
    const report = await ask<ClusterReport>(network, a, 'a@test', 'cluster')
    expect(report.observedFrom).toBe('a@test')
    expect(report.nodes.map((n) => n.node)).toEqual(['a@test', 'b@test', 'c@test'])
    expect(report.down).toEqual([])
    expect(report.silent).toEqual([])
    const b = report.nodes[1]!
    expect(b.nodes).toEqual(['a@test', 'c@test'])
    expect(b.tree.map((t) => [t.id, t.type])).toEqual([['observer', 'worker'], ['workers', 'supervisor']])
    expect(b.tree[1]!.children.map((t) => t.id)).toEqual(['crashy'])
    expect(b.tree[1]!.children[0]!.pid).toMatch(/^<b@test\./)
  })

  it('marks a killed node down with its reason, and up again when a new incarnation joins', async () => {
    await using network = createNetwork()
    const a = await boot(network, 'a@test')
    await boot(network, 'b@test')
    await network.settle()
    await network.kill('b@test')
    const during = await ask<ClusterReport>(network, a, 'a@test', 'cluster')
    expect(during.nodes.map((n) => n.node)).toEqual(['a@test'])
    expect(during.down).toMatchObject([{ node: 'b@test', reason: 'noconnection' }])
    await boot(network, 'b@test')
    await network.settle()
    const after = await ask<ClusterReport>(network, a, 'a@test', 'cluster')
    expect(after.nodes.map((n) => [n.node, n.creation])).toEqual([['a@test', 1], ['b@test', 3]])
    expect(after.down).toEqual([])
    const own = after.nodes[0]!.events.map((e) => (e.type === 'restart' ? e.type : `${e.type} ${e.peer}`))
    expect(own).toEqual(['nodeup b@test', 'nodedown b@test', 'nodeup b@test'])
  })

  it('records restarts with the child and the reason, and counts them', async () => {
    await using network = createNetwork()
    const a = await boot(network, 'a@test')
    a.cast('crashy', 'crash')
    await network.settle()
    const report = await ask<NodeReport>(network, a, 'a@test', 'info')
    expect(report.restarts).toBe(1)
    expect(report.events).toMatchObject([{ type: 'restart', node: 'a@test', child: 'crashy', reason: 'Error: asked to crash' }])
  })

  it('gives message rates per peer from the second report on, counting a reconnection from zero', async () => {
    await using network = createNetwork()
    const peers = [{ node: 'b@test', state: 'up' as const, hidden: false, messagesIn: 10, messagesOut: 100, bytesIn: 0, bytesOut: 0, queuedBytes: 0 }]
    const a = await boot(network, 'a@test', { stats: () => ({ peers }) })
    const first = await ask<NodeReport>(network, a, 'a@test', 'info')
    expect(first.peers[0]).toMatchObject({ node: 'b@test', messagesOut: 100, outPerSecond: undefined, inPerSecond: undefined })
    expect(first.deliveredPerSecond).toBeUndefined()
    await network.clock.advance(2000)
    peers[0] = { ...peers[0]!, messagesIn: 30, messagesOut: 300 }
    const second = await ask<NodeReport>(network, a, 'a@test', 'info')
    expect(second.peers[0]).toMatchObject({ inPerSecond: 10, outPerSecond: 100 })
    await network.clock.advance(1000)
    peers[0] = { ...peers[0]!, messagesIn: 5, messagesOut: 50 }
    const third = await ask<NodeReport>(network, a, 'a@test', 'info')
    expect(third.peers[0]).toMatchObject({ inPerSecond: 5, outPerSecond: 50 })
  })

  it('reports an empty tree when it runs under no supervisor, as when spawned from outside any actor', async () => {
    await using network = createNetwork()
    const a = network.addNode('a@test')
    a.spawn(clusterObserver(a), undefined, { name: OBSERVER_NAME })
    const report = await ask<NodeReport>(network, a, 'a@test', 'info')
    expect(report.tree).toEqual([])
    expect(report.node).toBe('a@test')
  })

  it('answers an unknown request with what was wrong, and keeps its history', async () => {
    await using network = createNetwork()
    const a = await boot(network, 'a@test')
    a.cast('crashy', 'crash')
    await network.settle()
    expect(await ask(network, a, 'a@test', 'frobnicate')).toEqual({ error: `unknown request frobnicate: expected 'ping', 'info' or 'cluster'` })
    const report = await ask<NodeReport>(network, a, 'a@test', 'info')
    expect(report.restarts).toBe(1)
    expect(report.events.map((e) => e.type)).toEqual(['restart'])
  })

  it('lists a connected node whose observer does not answer as silent, not as missing', async () => {
    await using network = createNetwork()
    const a = await boot(network, 'a@test')
    network.addNode('bare@test')
    await network.settle()
    const report = await ask<ClusterReport>(network, a, 'a@test', 'cluster')
    expect(report.nodes.map((n) => n.node)).toEqual(['a@test'])
    expect(report.silent).toMatchObject([{ node: 'bare@test' }])
  })
})
