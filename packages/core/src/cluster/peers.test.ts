import { describe, expect, it } from 'vitest'
import type { ProcessCtx } from '../actor/process-function.ts'
import { Down } from '../signals.ts'
import { createNetwork } from '../testing/in-memory-network.ts'
import { Peers } from './peers.ts'

describe('Peers', () => {
  it('adds, replaces and recognises the Down of the current peer of a node', async () => {
    const net = createNetwork()
    const a = net.addNode('a@h')
    const b = net.addNode('b@h')
    const idle = async (ctx: ProcessCtx): Promise<void> => {
      await ctx.receive(() => false)
    }
    const first = b.spawn(idle)
    const second = b.spawn(idle)
    const seen: unknown[] = []
    a.spawn(async (ctx: ProcessCtx) => {
      const peers = new Peers(a, 'svc')
      seen.push(peers.add(ctx, first), peers.add(ctx, first), peers.add(ctx, second))
      seen.push(peers.has(first), peers.has(second), peers.nodes())
      ctx.send(ctx.self, 'ready')
      await ctx.receive((m) => m === 'ready')
      b.exit(second, 'kill')
      const down = await ctx.receive((m) => m instanceof Down)
      seen.push(peers.downOf(down), peers.drop('b@h'), peers.hasNode('b@h'))
    })
    await net.settle()
    expect(seen).toEqual(['new', 'known', 'replaced', false, true, ['b@h'], 'b@h', true, false])
    await net[Symbol.asyncDispose]()
  })

  it('accepts only service actors of other, connected nodes, and answers a discover with a snapshot', async () => {
    const net = createNetwork()
    const a = net.addNode('a@h')
    const b = net.addNode('b@h')
    const got: unknown[] = []
    const remote = b.spawn(async (ctx: ProcessCtx) => {
      for (;;) got.push(await ctx.receive())
    })
    const forgotten: string[] = []
    const verdicts: unknown[] = []
    a.spawn(async (ctx: ProcessCtx) => {
      const peers = new Peers(a, 'svc')
      verdicts.push(peers.accepts(remote), peers.accepts(ctx.self), peers.accepts('b@h'))
      peers.answerDiscover(ctx, remote, [{ t: 'sync', items: [1] }, { t: 'sync', items: [2] }], (node) => forgotten.push(node))
      verdicts.push(peers.has(remote))
      await ctx.receive(() => false)
    })
    await net.settle()
    expect(verdicts).toEqual([true, false, false, true])
    expect(got).toEqual([{ t: 'sync', items: [1] }, { t: 'sync', items: [2] }])
    expect(forgotten).toEqual([])
    net.partition('a@h', 'b@h')
    expect(new Peers(a, 'svc').accepts(remote)).toBe(false)
    await net[Symbol.asyncDispose]()
  })
})
