import { describe, expect, it } from 'vitest'
import { createNetwork } from './in-memory-network.ts'
import { Down, Exit } from '../signals.ts'
import type { ProcessCtx } from '../actor/process-function.ts'
import type { Pid } from '../pid.ts'
import { NoConnectionError } from '../errors.ts'
import type { NodeEvent } from '../system/actor-system.ts'

const echo = {
  init: () => null,
  handleCall: (req: unknown, _f: unknown, s: null) => ({ reply: req, state: s }),
}

/** A process function that records every message it receives. */
function recorder(into: unknown[]) {
  return async (ctx: ProcessCtx) => {
    ctx.trapExit(true)
    for (;;) into.push(await ctx.receive())
  }
}

describe('InMemoryNetwork', () => {
  it('delivers remote sends and calls, by pid and by { name, node }', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const b = net.addNode('b@mem')
    const server = b.spawn(echo, undefined, { name: 'echo' })
    expect(await a.call(server, { hello: 1 })).toEqual({ hello: 1 })
    expect(await a.call({ name: 'echo', node: 'b@mem' }, 'by name')).toBe('by name')
    const got: unknown[] = []
    const r = b.spawn(recorder(got))
    a.send(r, new Map([[1, new Set([2n])]]))
    await net.settle()
    expect(got).toEqual([new Map([[1, new Set([2n])]])])
  })

  it('keeps order per pair of actors, also with a delay', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const b = net.addNode('b@mem')
    net.delay('a@mem', 'b@mem', 30)
    const got: unknown[] = []
    const r = b.spawn(recorder(got))
    for (let i = 0; i < 100; i++) a.send(r, i)
    await net.settle()
    expect(got).toEqual([])
    await net.clock.advance(30)
    expect(got).toEqual([...Array(100).keys()])
  })

  it('links across nodes fire noconnection when the peer is killed', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const b = net.addNode('b@mem')
    const remote = b.spawn(async (c: ProcessCtx) => { await c.receive() })
    const got: unknown[] = []
    a.spawn(async (ctx: ProcessCtx) => {
      ctx.trapExit(true)
      ctx.link(remote)
      got.push(await ctx.receive())
    })
    await net.settle()
    await net.kill('b@mem')
    await net.settle()
    expect(got).toHaveLength(1)
    expect(got[0]).toBeInstanceOf(Exit)
    expect((got[0] as Exit).reason).toBe('noconnection')
    expect((got[0] as Exit).from.equals(remote)).toBe(true)
  })

  it('an abnormal remote exit propagates along a link; a non-trapping actor dies with it', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const b = net.addNode('b@mem')
    const remote = b.spawn(async (c: ProcessCtx) => { await c.receive(); throw new Error('remote crash') })
    const local = a.spawn(async (ctx: ProcessCtx) => {
      ctx.link(remote)
      await ctx.receive(() => false)
    })
    await net.settle()
    const downs: Down[] = []
    a.monitor(local, (d) => downs.push(d))
    a.send(remote, 'go')
    await net.settle()
    expect(downs).toHaveLength(1)
    expect((downs[0]!.reason as Error).message).toBe('remote crash')
  })

  it('monitors across nodes: Down with the reason, noproc for a dead pid, noconnection on partition', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const b = net.addNode('b@mem')
    const quitter = b.spawn(async (c: ProcessCtx) => { await c.receive(); c.exit('bye') })
    const stayer = b.spawn(async (c: ProcessCtx) => { await c.receive(() => false) })
    const downs: Down[] = []
    a.monitor(quitter, (d) => downs.push(d))
    a.monitor(stayer, (d) => downs.push(d))
    a.send(quitter, 'go')
    await net.settle()
    a.monitor(quitter, (d) => downs.push(d))
    await net.settle()
    net.partition('a@mem', 'b@mem')
    await net.settle()
    expect(downs.map((d) => d.reason)).toEqual(['bye', 'noproc', 'noconnection'])
  })

  it('monitors a remote name and is told noproc when it is not registered', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const b = net.addNode('b@mem')
    b.spawn(async (c: ProcessCtx) => { await c.receive() }, undefined, { name: 'svc' })
    const downs: Down[] = []
    a.monitor({ name: 'svc', node: 'b@mem' }, (d) => downs.push(d))
    a.monitor({ name: 'ghost', node: 'b@mem' }, (d) => downs.push(d))
    await net.settle()
    a.send({ name: 'svc', node: 'b@mem' }, 'stop')
    await net.settle()
    expect(downs.map((d) => [d.target, d.reason])).toEqual([
      [{ name: 'ghost', node: 'b@mem' }, 'noproc'],
      [{ name: 'svc', node: 'b@mem' }, 'normal'],
    ])
  })

  it('rejects a pending call at once when the connection is lost, not at its timeout', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const b = net.addNode('b@mem')
    const silent = b.spawn({ init: () => null, handleCall: (_r: unknown, _f: unknown, s: null) => ({ noreply: s }) })
    const pending = a.call(silent, 'anyone?', 60_000)
    const caught = pending.catch((e: unknown) => e)
    await net.settle()
    net.partition('a@mem', 'b@mem')
    expect(await caught).toBeInstanceOf(NoConnectionError)
    expect(net.clock.now()).toBe(0)
  })

  it('reports nodeup and nodedown with the reason', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const events: NodeEvent[] = []
    a.monitorNodes((e) => events.push(e))
    net.addNode('b@mem')
    net.addNode('c@mem')
    await net.stop('b@mem')
    await net.kill('c@mem')
    expect(events).toEqual([
      { type: 'nodeup', node: 'b@mem', hidden: false },
      { type: 'nodeup', node: 'c@mem', hidden: false },
      { type: 'nodedown', node: 'b@mem', reason: 'leaving', hidden: false },
      { type: 'nodedown', node: 'c@mem', reason: 'noconnection', hidden: false },
    ])
    expect(a.nodes()).toEqual([])
  })

  it('a restarted node is a new incarnation: old pids are dead letters, not the new actors', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const b1 = net.addNode('b@mem')
    const old = b1.spawn(async (c: ProcessCtx) => { await c.receive() })
    await net.kill('b@mem')
    const b2 = net.restart('b@mem')
    const got: unknown[] = []
    const fresh = b2.spawn(recorder(got))
    expect(fresh.id).toBe(old.id)
    expect(fresh.equals(old)).toBe(false)
    const dead: unknown[] = []
    b2.trace((r) => r.type === 'deadLetter' && dead.push(r))
    a.send(old, 'for the old one')
    a.send(fresh, 'for the new one')
    await net.settle()
    expect(got).toEqual(['for the new one'])
    expect(dead).toHaveLength(1)
  })

  it('spawns a defined behaviour on another node, linked', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const b = net.addNode('b@mem')
    b.define('echo', echo)
    const pid = await a.spawnOn('b@mem', 'echo')
    expect(pid.node).toBe('b@mem')
    expect(await a.call(pid, 'hi')).toBe('hi')
    await expect(a.spawnOn('b@mem', 'nothing')).rejects.toThrow(/no behaviour is defined as "nothing"/)
    const got: unknown[] = []
    a.spawn(async (ctx: ProcessCtx) => {
      ctx.trapExit(true)
      const child: Pid = await ctx.spawnOn('b@mem', 'echo', undefined, { link: true })
      ctx.exitOther(child, 'kill')
      got.push(await ctx.receive())
    })
    await net.settle()
    expect((got[0] as Exit).reason).toBe('killed')
  })

  it('drops messages on dropNext and reports sends to unreachable nodes as dead letters', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const b = net.addNode('b@mem')
    const got: unknown[] = []
    const r = b.spawn(recorder(got))
    net.dropNext('a@mem', 'b@mem', 1)
    a.send(r, 'lost')
    a.send(r, 'kept')
    await net.settle()
    expect(got).toEqual(['kept'])
    const dead: unknown[] = []
    a.trace((rec) => rec.type === 'deadLetter' && dead.push(rec))
    net.partition('a@mem', 'b@mem')
    a.send(r, 'unreachable')
    expect(dead).toEqual([{ type: 'deadLetter', to: r, msg: 'unreachable', reason: 'unreachable' }])
  })

  it('waitFor runs virtual time until a condition holds, and explains a timeout', async () => {
    const net = createNetwork()
    const a = net.addNode('a@mem')
    const got: unknown[] = []
    const r = a.spawn(recorder(got))
    a.spawn(async (c: ProcessCtx) => { c.sendAfter(r, 'tick', 5000); await c.receive() })
    await net.waitFor(() => got.length === 1)
    expect(net.clock.now()).toBe(5000)
    await expect(net.waitFor(() => false, { timeoutMs: 10 })).rejects.toThrow(/condition not met.*a@mem/)
  })
})
