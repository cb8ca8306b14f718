import { afterEach, describe, expect, it } from 'vitest'
import type { ProcessCtx } from '../actor/process-function.ts'
import type { Pid } from '../pid.ts'
import type { ActorSystem } from '../system/actor-system.ts'
import { createNetwork } from '../testing/in-memory-network.ts'
import type { InMemoryNetwork } from '../testing/in-memory-network.ts'
import type { TraceRecord } from '../trace.ts'
import { isGroupEvent } from './group-table.ts'
import type { GroupEvent } from './group-table.ts'
import { groupsOf, scopeActorName, startGroups } from './groups.ts'
import type { Groups } from './groups.ts'

let net: InMemoryNetwork | undefined

afterEach(async () => {
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

/** A network of `names`, each running the default scope. */
function cluster(...names: string[]): { net: InMemoryNetwork; sys: Record<string, ActorSystem>; g: Record<string, Groups> } {
  net = createNetwork()
  const sys: Record<string, ActorSystem> = {}
  const g: Record<string, Groups> = {}
  for (const name of names) sys[name] = net.addNode(name)
  for (const name of names) g[name] = startGroups(sys[name]!)
  return { net, sys, g }
}

/** A process that records every message it receives, until killed. */
function member(system: ActorSystem, inbox: unknown[] = []): Pid {
  return system.spawn(async (ctx: ProcessCtx) => {
    for (;;) inbox.push(await ctx.receive())
  })
}

const keys = (pids: readonly Pid[]): string[] => pids.map((p) => p.key).sort()

describe('groups: membership', () => {
  it('a join on one node is seen on every node; localMembers lists only local members', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h', 'c@h')
    await net.settle()
    const p = member(sys['a@h']!)
    const q = member(sys['b@h']!)
    g['a@h']!.join('room', p)
    g['b@h']!.join('room', [q])
    expect(keys(g['a@h']!.localMembers('room'))).toEqual([p.key])
    await net.settle()
    for (const n of ['a@h', 'b@h', 'c@h']) {
      expect(keys(g[n]!.members('room'))).toEqual(keys([p, q]))
      expect(g[n]!.whichGroups()).toEqual(['room'])
    }
    expect(g['c@h']!.localMembers('room')).toEqual([])
    expect(g['c@h']!.whichGroups(q)).toEqual(['room'])
  })

  it('joining twice is one membership, and leave propagates', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h')
    const p = member(sys['a@h']!)
    g['a@h']!.join('x', p)
    g['a@h']!.join('x', p)
    g['a@h']!.join('y', p)
    await net.settle()
    expect(keys(g['b@h']!.members('x'))).toEqual([p.key])
    g['a@h']!.leave('x', p)
    await net.settle()
    expect(g['b@h']!.members('x')).toEqual([])
    expect(g['b@h']!.whichGroups()).toEqual(['y'])
  })

  it('a member that exits leaves all its groups on every node', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h')
    const p = member(sys['a@h']!)
    g['a@h']!.join('x', p)
    g['a@h']!.join('y', p)
    await net.settle()
    expect(g['b@h']!.whichGroups().sort()).toEqual(['x', 'y'])
    sys['a@h']!.exit(p, 'kill')
    await net.settle()
    for (const n of ['a@h', 'b@h']) {
      expect(g[n]!.members('x')).toEqual([])
      expect(g[n]!.whichGroups()).toEqual([])
    }
  })

  it('a pid that is already dead is ignored by join', async () => {
    const { net, sys, g } = cluster('a@h')
    const p = sys['a@h']!.spawn(async () => {})
    await net.settle()
    g['a@h']!.join('x', p)
    expect(g['a@h']!.members('x')).toEqual([])
  })

  it('drops the members of a node at the moment it goes down, and takes them back when it returns', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h', 'c@h')
    const p = member(sys['a@h']!)
    const q = member(sys['b@h']!)
    g['a@h']!.join('x', p)
    g['b@h']!.join('x', q)
    await net.settle()
    net.partition('a@h', ['b@h', 'c@h'])
    // No settle: nodedown drops them synchronously.
    expect(keys(g['b@h']!.members('x'))).toEqual([q.key])
    expect(keys(g['c@h']!.members('x'))).toEqual([q.key])
    expect(keys(g['a@h']!.members('x'))).toEqual([p.key])
    net.heal()
    await net.settle()
    for (const n of ['a@h', 'b@h', 'c@h']) expect(keys(g[n]!.members('x'))).toEqual(keys([p, q]))
    await net.kill('b@h')
    expect(keys(g['a@h']!.members('x'))).toEqual([p.key])
    expect(keys(g['c@h']!.members('x'))).toEqual([p.key])
  })

  it('a node that starts later receives the existing memberships', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h')
    const p = member(sys['a@h']!)
    g['a@h']!.join('x', p)
    await net.settle()
    const late = net.addNode('c@h')
    const gc = startGroups(late)
    const r = member(late)
    gc.join('x', r)
    await net.settle()
    for (const groups of [g['a@h']!, g['b@h']!, gc]) expect(keys(groups.members('x'))).toEqual(keys([p, r]))
    expect(sys['b@h']!.nodes()).toContain('c@h')
  })

  it('a scope that stops is dropped by its peers, and a restarted scope syncs again', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h')
    const p = member(sys['a@h']!)
    g['a@h']!.join('x', p)
    await net.settle()
    await g['a@h']!.stop()
    await g['a@h']!.stop()
    await net.settle()
    expect(g['b@h']!.members('x')).toEqual([])
    expect(() => g['a@h']!.join('x', p)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOPROC' }))
    expect(() => groupsOf(sys['a@h']!)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOPROC' }))
    const again = startGroups(sys['a@h']!)
    expect(groupsOf(sys['a@h']!)).toBe(again)
    again.join('x', p)
    await net.settle()
    expect(keys(g['b@h']!.members('x'))).toEqual([p.key])
  })

  it('scopes are independent', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h')
    const other = { a: startGroups(sys['a@h']!, { scope: 'other' }), b: startGroups(sys['b@h']!, { scope: 'other' }) }
    const p = member(sys['a@h']!)
    other.a.join('x', p)
    await net.settle()
    expect(keys(other.b.members('x'))).toEqual([p.key])
    expect(g['b@h']!.members('x')).toEqual([])
    expect(sys['a@h']!.whereis(scopeActorName('other'))?.equals(other.a.pid)).toBe(true)
  })

  it('validates its options and arguments', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h')
    expect(() => startGroups(sys['a@h']!)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NAME_TAKEN' }))
    expect(() => startGroups(sys['a@h']!, { scope: '' })).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION', option: 'scope' }))
    const remote = member(sys['b@h']!)
    const p = member(sys['a@h']!)
    expect(() => g['a@h']!.join('x', remote)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_LOCAL' }))
    expect(() => g['a@h']!.join('', p)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION', option: 'group' }))
    expect(() => g['a@h']!.join('x', 'nope' as never)).toThrow(expect.objectContaining({ option: 'pids' }))
    expect(() => g['a@h']!.monitor('x', remote)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_LOCAL' }))
    await net.settle()
  })
})

describe('groups: monitor', () => {
  it('delivers join and leave events to a local process, for local and remote changes and for nodedown', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h')
    const p = member(sys['a@h']!)
    g['a@h']!.join('room', p)
    await net.settle()
    const inbox: unknown[] = []
    const watcher = member(sys['b@h']!, inbox)
    const { ref, members } = g['b@h']!.monitor('room', watcher)
    expect(keys(members)).toEqual([p.key])
    const q = member(sys['b@h']!)
    g['b@h']!.join('room', q)
    g['b@h']!.join('elsewhere', q)
    await net.settle()
    const r = member(sys['a@h']!)
    g['a@h']!.join('room', r)
    await net.settle()
    sys['a@h']!.exit(r, 'kill')
    await net.settle()
    net.partition('a@h', 'b@h')
    await net.settle()
    const events = inbox.filter(isGroupEvent)
    expect(events).toHaveLength(inbox.length)
    expect(events.map((e) => [e.type, e.group, keys(e.pids)])).toEqual([
      ['join', 'room', [q.key]],
      ['join', 'room', [r.key]],
      ['leave', 'room', [r.key]],
      ['leave', 'room', [p.key]],
    ])
    expect(events.every((e) => e.ref.equals(ref) && e.scope === 'default')).toBe(true)
  })

  it('a function listener, monitorScope and demonitor', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h')
    const seen: GroupEvent[] = []
    const all: GroupEvent[] = []
    const { ref } = g['b@h']!.monitor('room', (e) => seen.push(e))
    g['b@h']!.monitorScope((e) => all.push(e))
    const p = member(sys['a@h']!)
    g['a@h']!.join('room', p)
    g['a@h']!.join('other', p)
    await net.settle()
    expect(seen.map((e) => e.type)).toEqual(['join'])
    expect(all.map((e) => e.group)).toEqual(['room', 'other'])
    expect(g['b@h']!.demonitor(ref)).toBe(true)
    expect(g['b@h']!.demonitor(ref)).toBe(false)
    g['a@h']!.leave('room', p)
    await net.settle()
    expect(seen).toHaveLength(1)
    expect(all.map((e) => `${e.type} ${e.group}`)).toEqual(['join room', 'join other', 'leave room'])
  })

  it("a watcher's monitors end when it exits", async () => {
    const { net, sys, g } = cluster('a@h')
    const watcher = member(sys['a@h']!)
    const { ref } = g['a@h']!.monitor('room', watcher)
    sys['a@h']!.exit(watcher, 'kill')
    await net.settle()
    expect(g['a@h']!.demonitor(ref)).toBe(false)
  })
})

describe('groups: broadcast', () => {
  it('reaches every member once and sends one copy per remote node', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h', 'c@h')
    const inboxes = new Map<string, unknown[]>()
    const join = (node: string, n: number): void => {
      for (let i = 0; i < n; i++) {
        const inbox: unknown[] = []
        const pid = member(sys[node]!, inbox)
        inboxes.set(pid.key, inbox)
        g[node]!.join('room', pid)
      }
    }
    join('a@h', 2)
    join('b@h', 5)
    join('c@h', 3)
    await net.settle()
    const sends: TraceRecord[] = []
    const stop = sys['a@h']!.trace((r) => {
      if (r.type === 'send') sends.push(r)
    })
    expect(g['a@h']!.broadcast('room', { text: 'hi' })).toBe(10)
    stop()
    await net.settle()
    for (const inbox of inboxes.values()) expect(inbox).toEqual([{ text: 'hi' }])
    const remote = sends.filter((r) => r.type === 'send' && nodeOf(r.to) !== 'a@h')
    expect(remote.map((r) => (r.type === 'send' ? nodeOf(r.to) : '')).sort()).toEqual(['b@h', 'c@h'])
    expect(sends).toHaveLength(2 + 2)
  })

  it('sends nothing for a group without members, and uses the sender ctx when given', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h')
    expect(g['a@h']!.broadcast('nobody', 'x')).toBe(0)
    const inbox: unknown[] = []
    g['b@h']!.join('room', member(sys['b@h']!, inbox))
    await net.settle()
    const sends: TraceRecord[] = []
    sys['a@h']!.trace((r) => r.type === 'send' && sends.push(r))
    const sender = sys['a@h']!.spawn(async (ctx: ProcessCtx) => {
      g['a@h']!.broadcast('room', 'from actor', { sender: ctx })
    })
    await net.settle()
    expect(inbox).toEqual(['from actor'])
    expect(sends.map((r) => (r.type === 'send' ? r.from?.key : undefined))).toEqual([sender.key])
  })
})

describe('groups: broadcast encoding', () => {
  it('sends the same encoded bytes to every remote scope, and a peer drops bytes it cannot decode', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h', 'c@h')
    const inboxes: unknown[][] = []
    for (const n of ['b@h', 'c@h']) {
      const inbox: unknown[] = []
      inboxes.push(inbox)
      g[n]!.join('room', member(sys[n]!, inbox))
    }
    await net.settle()
    const sent: unknown[] = []
    const stop = sys['a@h']!.trace((r) => r.type === 'send' && sent.push(r.msg))
    g['a@h']!.broadcast('room', { text: 'once' })
    stop()
    expect(sent).toHaveLength(2)
    expect(sent[0]).toBeInstanceOf(Uint8Array)
    // The same bytes (strictMessages copies each message as the wire would, so not the same object here).
    expect(sent[1]).toEqual(sent[0])
    // Garbage sent to a scope as if it were a broadcast: dropped, and the scope keeps serving.
    sys['a@h']!.send(g['b@h']!.pid, Buffer.from([0xc1, 0xff]))
    await net.settle()
    g['a@h']!.broadcast('room', 'after')
    await net.settle()
    for (const inbox of inboxes) expect(inbox).toEqual([{ text: 'once' }, 'after'])
  })
})

describe('groups: synced', () => {
  it('resolves only once every connected node holds the joins made before it', async () => {
    const { net, sys, g } = cluster('a@h', 'b@h', 'c@h')
    await net.settle()
    net.delay('a@h', 'c@h', 50)
    const p = member(sys['a@h']!)
    g['a@h']!.join('room', p)
    let done = false
    const synced = g['a@h']!.synced().then(() => (done = true))
    await net.clock.advance(49)
    expect(done).toBe(false)
    expect(g['c@h']!.members('room')).toEqual([])
    await net.clock.advance(60)
    await synced
    for (const n of ['b@h', 'c@h']) expect(keys(g[n]!.members('room'))).toEqual([p.key])
  })

  it('waits for a node whose scope is still discovering this one, and not for a node that went down', async () => {
    net = createNetwork()
    const a = net.addNode('a@h')
    const ga = startGroups(a)
    const p = member(a)
    ga.join('room', p)
    // b connects and starts its scope now: a's snapshot reaches it only through the discovery that follows.
    const b = net.addNode('b@h')
    const gb = startGroups(b)
    net.addNode('c@h') // runs no scope, and is killed before the timeout
    net.delay('a@h', 'b@h', 20)
    const synced = ga.synced()
    await net.kill('c@h')
    await net.clock.advance(200)
    await synced
    expect(keys(gb.members('room'))).toEqual([p.key])
  })

  it('rejects naming a connected node that runs no scope of this name, and validates its options', async () => {
    net = createNetwork()
    const a = net.addNode('a@h')
    const ga = startGroups(a)
    net.addNode('b@h')
    const outcome = ga.synced({ timeoutMs: 100 }).catch((e: unknown) => e)
    await net.clock.advance(100)
    const error = (await outcome) as { code?: string; message?: string }
    expect(error.code).toBe('COHORT_ERR_GROUPS_NOT_SYNCED')
    expect(error.message).toContain('b@h')
    await expect(ga.synced({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION' })
    // Alone (no node connected), there is nothing to wait for.
    const solo = createNetwork()
    await expect(startGroups(solo.addNode('z@h')).synced()).resolves.toBeUndefined()
    await solo[Symbol.asyncDispose]()
  })
})

describe('groups: convergence', () => {
  it('every node of a 5-node cluster ends with the same members after a partition heals', async () => {
    const names = ['n1@h', 'n2@h', 'n3@h', 'n4@h', 'n5@h']
    const { net, sys, g } = cluster(...names)
    net.delay('n1@h', 'n4@h', 7)
    net.delay('n2@h', 'n5@h', 3)
    const pids: Record<string, Pid[]> = {}
    for (const n of names) {
      pids[n] = [member(sys[n]!), member(sys[n]!), member(sys[n]!)]
      g[n]!.join('all', pids[n]!)
      g[n]!.join(`home:${n}`, pids[n]![0]!)
    }
    await net.waitFor(() => names.every((n) => g[n]!.members('all').length === 15))

    net.partition(['n1@h', 'n2@h'], ['n3@h', 'n4@h', 'n5@h'])
    // Side A: a join, a leave, an exit.
    g['n1@h']!.join('partitioned', pids['n1@h']![1]!)
    g['n2@h']!.leave('all', pids['n2@h']![2]!)
    sys['n1@h']!.exit(pids['n1@h']![2]!, 'kill')
    // Side B: joins, leaves, an exit, and a brand-new member.
    g['n3@h']!.join('partitioned', pids['n3@h']!)
    g['n4@h']!.leave('all', pids['n4@h']!)
    sys['n5@h']!.exit(pids['n5@h']![0]!, 'kill')
    const fresh = member(sys['n5@h']!)
    g['n5@h']!.join('all', fresh)
    await net.settle()
    expect(g['n1@h']!.members('all')).toHaveLength(6 - 2)
    expect(g['n3@h']!.members('all')).toHaveLength(9 - 3 - 1 + 1)

    net.heal()
    // Changes while the heal's discovery is in flight.
    g['n2@h']!.join('partitioned', pids['n2@h']![0]!)
    g['n4@h']!.join('all', pids['n4@h']![0]!)
    await net.waitFor(() => net.clock.pending === 0)

    const expected = (group: string): string[] => keys(names.flatMap((n) => [...g[n]!.localMembers(group)]))
    const groups = [...new Set(names.flatMap((n) => g[n]!.whichGroups()))].sort()
    expect(groups).toEqual(['all', 'home:n1@h', 'home:n2@h', 'home:n3@h', 'home:n4@h', 'partitioned'])
    for (const group of groups) {
      for (const n of names) expect({ node: n, group, members: keys(g[n]!.members(group)) }).toEqual({ node: n, group, members: expected(group) })
    }
    expect(expected('all')).toEqual(
      keys([
        pids['n1@h']![0]!, pids['n1@h']![1]!, pids['n2@h']![0]!, pids['n2@h']![1]!,
        ...pids['n3@h']!, pids['n4@h']![0]!, pids['n5@h']![1]!, pids['n5@h']![2]!, fresh,
      ]),
    )
    expect(expected('home:n5@h')).toEqual([])
    expect(expected('partitioned')).toEqual(keys([pids['n1@h']![1]!, pids['n2@h']![0]!, ...pids['n3@h']!]))
  })
})

function nodeOf(to: unknown): string | undefined {
  if (typeof to === 'object' && to !== null && 'node' in to) return (to as { node: string }).node
  return undefined
}
