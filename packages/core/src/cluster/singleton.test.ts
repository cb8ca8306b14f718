import { afterEach, describe, expect, it } from 'vitest'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import type { ActorSystem } from '../system/actor-system.ts'
import { createNetwork } from '../testing/in-memory-network.ts'
import type { InMemoryNetwork } from '../testing/in-memory-network.ts'
import { startGlobal } from './global-registry.ts'
import type { GlobalRegistry } from './global-registry.ts'
import type { Singleton } from './singleton.ts'

let net: InMemoryNetwork | undefined

afterEach(async () => {
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

const ticker: ServerBehaviour<number, number> = {
  init: (start) => start,
  handleCall: (req: 'where' | 'crash', _from, n, ctx) => {
    if (req === 'crash') throw new Error('crash')
    return { reply: ctx.self.node, state: n }
  },
}

function cluster(names: string[]): {
  net: InMemoryNetwork
  sys: Record<string, ActorSystem>
  g: Record<string, GlobalRegistry>
  s: Record<string, Singleton>
} {
  net = createNetwork()
  const sys: Record<string, ActorSystem> = {}
  const g: Record<string, GlobalRegistry> = {}
  const s: Record<string, Singleton> = {}
  for (const name of names) {
    sys[name] = net.addNode(name)
    sys[name].define('ticker', ticker)
  }
  for (const name of names) g[name] = startGlobal(sys[name]!)
  for (const name of names) s[name] = g[name]!.singleton('ticker', 'ticker', 0, { staggerMs: 100, restartDelayMs: 50 })
  return { net, sys, g, s }
}

/** How many instances run, per node. */
function instances(net: InMemoryNetwork): Record<string, number> {
  const out: Record<string, number> = {}
  for (const node of net.nodes()) {
    const n = net.system(node).processes().filter((p) => p.behaviour === 'ticker').length
    if (n > 0) out[node] = n
  }
  return out
}

/** True when every running node sees the same holder, on `node`. */
function agreed(net: InMemoryNetwork, s: Record<string, Singleton>, node: string): boolean {
  return net.nodes().every((n) => s[n]!.whereis()?.node === node)
}

describe('singleton', () => {
  it('runs one instance, on the first node by name, reachable by its global name', async () => {
    const { net, sys, s } = cluster(['a@h', 'b@h', 'c@h'])
    await net.waitFor(() => agreed(net, s, 'a@h'))
    await net.clock.advance(1000)
    expect(instances(net)).toEqual({ 'a@h': 1 })
    expect(await sys['c@h']!.call({ global: 'ticker' }, 'where')).toBe('a@h')
  })

  it('is started again on another node when its node goes down', async () => {
    const { net, sys, s } = cluster(['a@h', 'b@h', 'c@h'])
    await net.waitFor(() => agreed(net, s, 'a@h'))
    await net.kill('a@h')
    await net.waitFor(() => agreed(net, s, 'b@h'))
    await net.clock.advance(1000)
    expect(instances(net)).toEqual({ 'b@h': 1 })
    expect(await sys['c@h']!.call({ global: 'ticker' }, 'where')).toBe('b@h')
  })

  it('restarts an instance that crashed', async () => {
    const { net, sys, s } = cluster(['a@h', 'b@h'])
    await net.waitFor(() => agreed(net, s, 'a@h'))
    const first = s['b@h']!.whereis()!
    await expect(sys['b@h']!.call({ global: 'ticker' }, 'crash')).rejects.toMatchObject({ code: 'COHORT_ERR_CALLEE_EXITED' })
    await net.waitFor(() => agreed(net, s, 'a@h') && !s['b@h']!.whereis()!.equals(first))
    await net.clock.advance(1000)
    expect(instances(net)).toEqual({ 'a@h': 1 })
  })

  it('after a partition heals, one of the two instances is kept', async () => {
    const { net, s } = cluster(['a@h', 'b@h', 'c@h'])
    await net.waitFor(() => agreed(net, s, 'a@h'))
    net.partition('a@h', ['b@h', 'c@h'])
    await net.waitFor(() => s['c@h']!.whereis()?.node === 'b@h')
    expect(instances(net)).toEqual({ 'a@h': 1, 'b@h': 1 })
    net.heal()
    await net.waitFor(() => agreed(net, s, 'a@h'))
    await net.clock.advance(1000)
    expect(instances(net)).toEqual({ 'a@h': 1 })
  })

  it('stopping the manager where the instance runs hands it over to another node', async () => {
    const { net, s } = cluster(['a@h', 'b@h'])
    await net.waitFor(() => agreed(net, s, 'a@h'))
    await s['a@h']!.stop()
    await s['a@h']!.stop()
    await net.waitFor(() => agreed(net, s, 'b@h'))
    expect(instances(net)).toEqual({ 'b@h': 1 })
  })

  it('stops with the global registry of its node', async () => {
    const { net, g, s } = cluster(['a@h', 'b@h'])
    await net.waitFor(() => agreed(net, s, 'a@h'))
    await g['a@h']!.stop()
    await s['a@h']!.stopped
    await net.waitFor(() => s['b@h']!.whereis()?.node === 'b@h')
    await net.clock.advance(1000)
    expect(instances(net)).toEqual({ 'b@h': 1 })
  })

  it('validates its options', async () => {
    const { net, g } = cluster(['a@h'])
    expect(() => g['a@h']!.singleton('ticker', 'ticker')).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NAME_TAKEN' }))
    expect(() => g['a@h']!.singleton('', 'ticker')).toThrow(expect.objectContaining({ option: 'name' }))
    expect(() => g['a@h']!.singleton('t2', 'ticker', undefined, { staggerMs: -1 })).toThrow(expect.objectContaining({ option: 'staggerMs', value: -1 }))
    await net.settle()
  })
})
