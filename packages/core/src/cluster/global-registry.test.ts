import { afterEach, describe, expect, it } from 'vitest'
import type { ProcessCtx } from '../actor/process-function.ts'
import type { Pid } from '../pid.ts'
import type { Down } from '../signals.ts'
import type { ActorSystem } from '../system/actor-system.ts'
import { createNetwork } from '../testing/in-memory-network.ts'
import type { InMemoryNetwork } from '../testing/in-memory-network.ts'
import { globalOf, startGlobal } from './global-registry.ts'
import type { GlobalOptions, GlobalRegistry } from './global-registry.ts'
import { NameTakenError } from './name-conflict.ts'

let net: InMemoryNetwork | undefined

afterEach(async () => {
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

function cluster(names: string[], options?: GlobalOptions): { net: InMemoryNetwork; sys: Record<string, ActorSystem>; g: Record<string, GlobalRegistry> } {
  net = createNetwork()
  const sys: Record<string, ActorSystem> = {}
  const g: Record<string, GlobalRegistry> = {}
  for (const name of names) sys[name] = net.addNode(name)
  for (const name of names) g[name] = startGlobal(sys[name]!, options)
  return { net, sys, g }
}

/** A process that records its messages and answers calls with its node name. */
function proc(system: ActorSystem, inbox: unknown[] = []): Pid {
  return system.spawn(async (ctx: ProcessCtx) => {
    for (;;) {
      const m = await ctx.receive()
      if (typeof m === 'object' && m !== null && m.$cohort === 'call') ctx.reply(m.from, system.node)
      else inbox.push(m)
    }
  })
}

/** Resolves with the exit reason of `pid`. */
function exitOf(system: ActorSystem, pid: Pid): Promise<unknown> {
  return new Promise((resolve) => system.monitor(pid, (d: Down) => resolve(d.reason)))
}

describe('global: registration', () => {
  it('a name registered on one node resolves on every node, for whereis, send and { global } addresses', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h', 'c@h'])
    await net.settle()
    const inbox: unknown[] = []
    const p = proc(sys['c@h']!, inbox)
    await g['c@h']!.register('svc', p)
    await net.settle()
    for (const n of ['a@h', 'b@h', 'c@h']) {
      expect(g[n]!.whereis('svc')?.equals(p)).toBe(true)
      expect(g[n]!.registered()).toEqual(['svc'])
    }
    expect(await sys['a@h']!.call({ global: 'svc' }, 'who')).toBe('c@h')
    sys['b@h']!.send({ global: 'svc' }, 'via address')
    expect(g['a@h']!.send('svc', 'via send').equals(p)).toBe(true)
    await net.settle()
    expect([...inbox].sort()).toEqual(['via address', 'via send'])
    expect(globalOf(sys['a@h']!)).toBe(g['a@h'])
  })

  it('registering the same pid again succeeds; one pid may hold several names; a dead pid is refused', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h'])
    await net.settle()
    const p = proc(sys['b@h']!)
    await g['b@h']!.register('x', p)
    await g['b@h']!.register('x', p)
    await g['b@h']!.register('y', p)
    await net.settle()
    expect(g['a@h']!.registered().sort()).toEqual(['x', 'y'])
    const dead = sys['b@h']!.spawn(async () => {})
    await net.settle()
    await expect(g['b@h']!.register('z', dead)).rejects.toMatchObject({ code: 'COHORT_ERR_NOPROC' })
  })

  it('a registered process that exits is unregistered everywhere', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h'])
    await net.settle()
    const p = proc(sys['b@h']!)
    await g['b@h']!.register('x', p)
    await g['b@h']!.register('y', p)
    await net.settle()
    sys['b@h']!.exit(p, 'kill')
    await net.settle()
    for (const n of ['a@h', 'b@h']) expect(g[n]!.registered()).toEqual([])
    expect(() => g['a@h']!.send('x', 'hi')).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOPROC' }))
    await expect(sys['a@h']!.call({ global: 'x' }, 'who')).rejects.toMatchObject({ code: 'COHORT_ERR_NOPROC' })
  })

  it('unregister works from any node, and the name can then be taken again', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h'])
    await net.settle()
    const p = proc(sys['b@h']!)
    await g['b@h']!.register('x', p)
    await net.settle()
    await g['a@h']!.unregister('x')
    await net.settle()
    expect(g['a@h']!.whereis('x')).toBeUndefined()
    expect(g['b@h']!.whereis('x')).toBeUndefined()
    const q = proc(sys['a@h']!)
    await g['a@h']!.register('x', q)
    await net.settle()
    expect(g['b@h']!.whereis('x')?.equals(q)).toBe(true)
    await g['a@h']!.unregister('never-registered')
  })

  it('the names of a node that goes down are dropped at once', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h', 'c@h'])
    await net.settle()
    await g['b@h']!.register('x', proc(sys['b@h']!))
    await net.settle()
    await net.kill('b@h')
    expect(g['a@h']!.whereis('x')).toBeUndefined()
    expect(g['c@h']!.whereis('x')).toBeUndefined()
  })

  it('validates its options and arguments', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h'])
    expect(() => startGlobal(sys['a@h']!)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NAME_TAKEN' }))
    const other = createNetwork().addNode('z@h')
    expect(() => startGlobal(other, { claimAttempts: 0 })).toThrow(expect.objectContaining({ option: 'claimAttempts', value: 0 }))
    expect(() => startGlobal(other, { resolveConflict: 'oldest' as never })).toThrow(expect.objectContaining({ option: 'resolveConflict' }))
    expect(() => globalOf(other)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOPROC' }))
    await other.shutdown()
    await expect(g['a@h']!.register('x', proc(sys['b@h']!))).rejects.toMatchObject({ code: 'COHORT_ERR_NOT_LOCAL' })
    await expect(g['a@h']!.register('', proc(sys['a@h']!))).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'name' })
    await g['a@h']!.stop()
    await g['a@h']!.stop()
    await expect(g['a@h']!.register('x', proc(sys['a@h']!))).rejects.toMatchObject({ code: 'COHORT_ERR_NOPROC' })
    await net.settle()
  })
})

describe('global: concurrent registration', () => {
  it('two nodes registering one name at once: exactly one wins, the other is told', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h', 'c@h'])
    await net.settle()
    const pb = proc(sys['b@h']!)
    const pc = proc(sys['c@h']!)
    const results = await Promise.allSettled([g['b@h']!.register('leader', pb), g['c@h']!.register('leader', pc)])
    await net.settle()
    const won = results.map((r) => r.status)
    expect(won.filter((s) => s === 'fulfilled')).toHaveLength(1)
    const winner = won[0] === 'fulfilled' ? pb : pc
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(rejected.reason).toBeInstanceOf(NameTakenError)
    expect(rejected.reason).toMatchObject({ code: 'COHORT_ERR_NAME_TAKEN', globalName: 'leader' })
    expect((rejected.reason as NameTakenError).holder?.equals(winner)).toBe(true)
    for (const n of ['a@h', 'b@h', 'c@h']) expect(g[n]!.whereis('leader')?.equals(winner)).toBe(true)
  })

  it('the leader racing a slow claimant: one winner', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h'])
    await net.settle()
    net.delay('a@h', 'b@h', 50)
    const pa = proc(sys['a@h']!)
    const pb = proc(sys['b@h']!)
    const fromB = g['b@h']!.register('x', pb)
    const fromA = g['a@h']!.register('x', pa)
    const results = await Promise.all([fromB.then(() => 'ok', (e: unknown) => e), fromA.then(() => 'ok', (e: unknown) => e), net.waitFor(() => net.clock.pending === 0)])
    expect(results.slice(0, 2).filter((r) => r === 'ok')).toHaveLength(1)
    const holder = g['a@h']!.whereis('x')
    expect(holder === undefined ? undefined : g['b@h']!.whereis('x')?.equals(holder)).toBe(true)
  })

  it('many concurrent claimants on five nodes: one winner everywhere', async () => {
    const names = ['n1@h', 'n2@h', 'n3@h', 'n4@h', 'n5@h']
    const { net, sys, g } = cluster(names)
    await net.settle()
    const attempts = names.flatMap((n) => [0, 1].map(() => g[n]!.register('hot', proc(sys[n]!)).then(() => true, () => false)))
    const results = await Promise.all(attempts)
    await net.settle()
    expect(results.filter(Boolean)).toHaveLength(1)
    const holder = g['n1@h']!.whereis('hot')!
    for (const n of names) expect(g[n]!.whereis('hot')?.equals(holder)).toBe(true)
  })

  it('registrations made before the registries have found each other are settled by the conflict rule', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h'])
    // No settle: neither registry knows the other yet, so each is its own leader and both succeed.
    const pa = proc(sys['a@h']!)
    const pb = proc(sys['b@h']!)
    await Promise.all([g['a@h']!.register('x', pa), g['b@h']!.register('x', pb)])
    const reason = exitOf(sys['b@h']!, pb)
    await net.settle()
    expect(await reason).toEqual({ shutdown: 'nameConflict' })
    for (const n of ['a@h', 'b@h']) expect(g[n]!.whereis('x')?.equals(pa)).toBe(true)
  })

  it('a claim whose leader goes down is retried with the next leader', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h', 'c@h'])
    await net.settle()
    net.delay('a@h', 'c@h', 100)
    const p = proc(sys['c@h']!)
    const registering = g['c@h']!.register('x', p)
    await net.clock.advance(10)
    await net.kill('a@h')
    await registering
    await net.settle()
    expect(g['b@h']!.whereis('x')?.equals(p)).toBe(true)
  })
})

describe('global: conflicts when a partition heals', () => {
  it('keeps the older registration everywhere and exits the other with { shutdown: "nameConflict" }', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h', 'c@h', 'd@h'])
    await net.settle()
    net.partition(['a@h', 'b@h'], ['c@h', 'd@h'])
    const older = proc(sys['b@h']!)
    await g['b@h']!.register('x', older)
    await net.clock.advance(1000)
    const newer = proc(sys['d@h']!)
    await g['d@h']!.register('x', newer)
    await net.settle()
    expect(g['a@h']!.whereis('x')?.equals(older)).toBe(true)
    expect(g['c@h']!.whereis('x')?.equals(newer)).toBe(true)
    const reason = exitOf(sys['d@h']!, newer)
    net.heal()
    await net.settle()
    expect(await reason).toEqual({ shutdown: 'nameConflict' })
    for (const n of ['a@h', 'b@h', 'c@h', 'd@h']) {
      expect(g[n]!.whereis('x')?.equals(older)).toBe(true)
      expect(g[n]!.registered()).toEqual(['x'])
    }
    expect(sys['b@h']!.isAlive(older)).toBe(true)
  })

  it('at the same time, the node name that sorts first wins', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h'])
    await net.settle()
    net.partition('a@h', 'b@h')
    const pa = proc(sys['a@h']!)
    const pb = proc(sys['b@h']!)
    await Promise.all([g['a@h']!.register('x', pa), g['b@h']!.register('x', pb)])
    const reason = exitOf(sys['b@h']!, pb)
    net.heal()
    await net.settle()
    expect(await reason).toEqual({ shutdown: 'nameConflict' })
    expect(g['b@h']!.whereis('x')?.equals(pa)).toBe(true)
  })

  it('uses a custom resolver and loser notifier', async () => {
    const losses: string[] = []
    const { net, sys, g } = cluster(['a@h', 'b@h'], {
      // The newer registration wins.
      resolveConflict: (_name, a, b) => (a.registeredAt > b.registeredAt ? a.pid : b.pid),
      notifyLoser: (name, loser, winner, system) => {
        losses.push(`${system.node}: ${name} ${String(loser)} -> ${String(winner)}`)
        system.send(loser, { lostName: name })
      },
    })
    await net.settle()
    net.partition('a@h', 'b@h')
    const inbox: unknown[] = []
    const pa = proc(sys['a@h']!, inbox)
    await g['a@h']!.register('x', pa)
    await net.clock.advance(5)
    const pb = proc(sys['b@h']!)
    await g['b@h']!.register('x', pb)
    net.heal()
    await net.settle()
    expect(losses).toEqual([`a@h: x ${String(pa)} -> ${String(pb)}`])
    expect(inbox).toEqual([{ lostName: 'x' }])
    expect(sys['a@h']!.isAlive(pa)).toBe(true)
    for (const n of ['a@h', 'b@h']) expect(g[n]!.whereis('x')?.equals(pb)).toBe(true)
  })

  it('a resolver that drops both leaves the name free everywhere', async () => {
    const { net, sys, g } = cluster(['a@h', 'b@h', 'c@h'], { resolveConflict: () => undefined, notifyLoser: () => {} })
    await net.settle()
    net.partition('a@h', ['b@h', 'c@h'])
    await g['a@h']!.register('x', proc(sys['a@h']!))
    await g['c@h']!.register('x', proc(sys['c@h']!))
    net.heal()
    await net.settle()
    for (const n of ['a@h', 'b@h', 'c@h']) expect(g[n]!.whereis('x')).toBeUndefined()
  })
})

describe('global: monitorNames', () => {
  it('tells every node when a name gets a holder, and when it loses it', async () => {
    const { net, sys, g } = cluster(['a@t', 'b@t'])
    await net.settle()
    const seen: Record<string, { name: string; pid: string | undefined }[]> = { 'a@t': [], 'b@t': [] }
    for (const node of ['a@t', 'b@t']) g[node]!.monitorNames((e) => seen[node]!.push({ name: e.name, pid: e.pid === undefined ? undefined : String(e.pid) }))
    const holder = proc(sys['a@t']!)
    await g['a@t']!.register('leader', holder)
    await net.settle()
    sys['a@t']!.exit(holder, 'kill')
    await net.settle()
    for (const node of ['a@t', 'b@t']) {
      expect(seen[node]).toEqual([
        { name: 'leader', pid: String(holder) },
        { name: 'leader', pid: undefined },
      ])
    }
  })
})
