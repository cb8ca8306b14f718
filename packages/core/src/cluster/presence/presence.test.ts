import { afterEach, describe, expect, it } from 'vitest'
import type { ProcessCtx } from '../../actor/process-function.ts'
import type { Pid } from '../../pid.ts'
import type { ActorSystem } from '../../system/actor-system.ts'
import { createNetwork } from '../../testing/in-memory-network.ts'
import { createLogSink } from '../../testing/log-sink.ts'
import type { InMemoryNetwork } from '../../testing/in-memory-network.ts'
import { MAX_PRESENCE_META_BYTES, presenceActorName, startPresence } from './presence.ts'
import type { Presence, PresenceDiff, PresenceEntry } from './presence.ts'

let net: InMemoryNetwork | undefined

afterEach(async () => {
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

function cluster(...names: string[]): { net: InMemoryNetwork; sys: Record<string, ActorSystem>; p: Record<string, Presence> } {
  net = createNetwork()
  const sys: Record<string, ActorSystem> = {}
  const p: Record<string, Presence> = {}
  for (const name of names) sys[name] = net.addNode(name)
  for (const name of names) p[name] = startPresence(sys[name]!)
  return { net, sys, p }
}

function idle(system: ActorSystem): Pid {
  return system.spawn(async (ctx: ProcessCtx) => {
    await ctx.receive(() => false)
  })
}

const view = (entries: readonly PresenceEntry[]): string[] =>
  entries.map((e) => `${e.key}@${e.node}:${JSON.stringify(e.meta)}:${e.pid.key}`).sort()

describe('presence: track, update, untrack', () => {
  it('lists an entry on every node, one key from several pids and nodes', async () => {
    const { net, sys, p } = cluster('a@h', 'b@h', 'c@h')
    await net.settle()
    const tabA = idle(sys['a@h']!)
    const tabB = idle(sys['b@h']!)
    p['a@h']!.track(tabA, 'room', 'ada', { device: 'phone' })
    p['b@h']!.track(tabB, 'room', 'ada', { device: 'laptop' })
    expect(p['a@h']!.list('room')).toEqual([{ key: 'ada', meta: { device: 'phone' }, node: 'a@h', pid: tabA }])
    await net.settle()
    const expected = view([
      { key: 'ada', meta: { device: 'phone' }, node: 'a@h', pid: tabA },
      { key: 'ada', meta: { device: 'laptop' }, node: 'b@h', pid: tabB },
    ])
    for (const n of ['a@h', 'b@h', 'c@h']) expect(view(p[n]!.list('room'))).toEqual(expected)
    expect(p['c@h']!.topics()).toEqual(['room'])
  })

  it('delivers joins and leaves to subscribers on every node, an update as a leave and a join', async () => {
    const { net, sys, p } = cluster('a@h', 'b@h')
    await net.settle()
    const diffs: Record<string, PresenceDiff[]> = { 'a@h': [], 'b@h': [] }
    for (const n of ['a@h', 'b@h']) p[n]!.subscribe('room', (d) => diffs[n]!.push(d))
    const pid = idle(sys['a@h']!)
    p['a@h']!.track(pid, 'room', 'ada', { s: 'online' })
    await net.settle()
    p['a@h']!.update(pid, 'room', 'ada', { s: 'away' })
    await net.settle()
    p['a@h']!.untrack(pid, 'room', 'ada')
    await net.settle()
    const entry = (s: string): PresenceEntry => ({ key: 'ada', meta: { s }, node: 'a@h', pid })
    for (const n of ['a@h', 'b@h']) {
      expect(diffs[n]).toEqual([
        { joins: [entry('online')], leaves: [] },
        { joins: [entry('away')], leaves: [entry('online')] },
        { joins: [], leaves: [entry('away')] },
      ])
      expect(p[n]!.list('room')).toEqual([])
    }
  })

  it('refuses remote pids, unserializable meta and updates of untracked entries with clear errors', async () => {
    const { net, sys, p } = cluster('a@h', 'b@h')
    await net.settle()
    const remote = idle(sys['b@h']!)
    const local = idle(sys['a@h']!)
    expect(() => p['a@h']!.track(remote, 'room', 'x', {})).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_LOCAL' }))
    expect(() => p['a@h']!.track(local, 'room', 'x', { f: () => 1 })).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_SERIALIZABLE' }))
    expect(() => p['a@h']!.update(local, 'room', 'x', {})).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_TRACKED' }))
    expect(() => p['a@h']!.track(local, '', 'x', {})).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION' }))
    // A lone surrogate would cross as U+FFFD: another topic or key, or another meta, on every peer.
    expect(() => p['a@h']!.track(local, 'room\uD800', 'x', {})).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION', message: expect.stringMatching(/surrogate/) }))
    expect(() => p['a@h']!.track(local, 'room', 'x\uDC00', {})).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION' }))
    expect(() => p['a@h']!.track(local, 'room', 'x', { s: '\uD800' })).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_SERIALIZABLE', path: 'meta.s' }))
    // Each verb names itself.
    expect(() => p['a@h']!.untrack(remote, 'room')).toThrow(/cannot untrack /)
    expect(() => p['a@h']!.update(remote, 'room', 'x', {})).toThrow(/cannot update /)
    expect(p['a@h']!.list('room')).toEqual([])
  })

  it('refuses a meta over MAX_PRESENCE_META_BYTES, naming its size, and keeps the entry as it was', async () => {
    const { net, sys, p } = cluster('a@h')
    await net.settle()
    const local = idle(sys['a@h']!)
    const over = { blob: 'x'.repeat(MAX_PRESENCE_META_BYTES) }
    expect(() => p['a@h']!.track(local, 'room', 'x', over)).toThrow(
      expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION', message: expect.stringMatching(/at most 65536 bytes encoded; this one takes 655\d\d/) }),
    )
    p['a@h']!.track(local, 'room', 'x', { blob: 'x'.repeat(MAX_PRESENCE_META_BYTES - 100) })
    expect(() => p['a@h']!.update(local, 'room', 'x', over)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_INVALID_OPTION' }))
    expect((p['a@h']!.list('room')[0]!.meta as { blob: string }).blob).toHaveLength(MAX_PRESENCE_META_BYTES - 100)
  })

  it('a large snapshot, sent in parts, reaches a peer as joins only', async () => {
    const { net, sys, p } = cluster('a@h', 'b@h')
    await net.settle()
    net.partition('a@h', 'b@h')
    const pid = idle(sys['a@h']!)
    // Tracked while the nodes are apart, so they reach b in a's snapshot when the partition heals. 40 entries of 60 KiB: 2.4 MB, more than two parts.
    for (let i = 0; i < 40; i++) p['a@h']!.track(pid, 'room', `user${i}`, { blob: String(i).repeat(60 * 1024 / String(i).length) })
    const diffs: PresenceDiff[] = []
    p['b@h']!.subscribe('room', (d) => diffs.push(d))
    net.heal()
    await net.settle()
    expect(p['b@h']!.list('room')).toHaveLength(40)
    // Had a part replaced what b held of a, the entries of the parts before it would have left and joined again.
    expect(diffs.flatMap((d) => d.joins)).toHaveLength(40)
    expect(diffs.flatMap((d) => d.leaves)).toEqual([])
  })
})

describe('presence: leaving by itself', () => {
  it('an entry leaves everywhere when its pid exits', async () => {
    const { net, sys, p } = cluster('a@h', 'b@h')
    await net.settle()
    const leaves: PresenceEntry[] = []
    p['b@h']!.subscribe('room', (d) => leaves.push(...d.leaves))
    const pid = idle(sys['a@h']!)
    p['a@h']!.track(pid, 'room', 'ada', 1)
    p['a@h']!.track(pid, 'other', 'ada', 2)
    await net.settle()
    sys['a@h']!.exit(pid, 'kill')
    await net.settle()
    for (const n of ['a@h', 'b@h']) expect(p[n]!.topics()).toEqual([])
    expect(leaves).toEqual([{ key: 'ada', meta: 1, node: 'a@h', pid }])
  })

  it('the entries of a node that goes down leave at once, and join again when a partition heals', async () => {
    const { net, sys, p } = cluster('a@h', 'b@h')
    await net.settle()
    const diffs: PresenceDiff[] = []
    p['b@h']!.subscribe('room', (d) => diffs.push(d))
    const pid = idle(sys['a@h']!)
    p['a@h']!.track(pid, 'room', 'ada', 1)
    await net.settle()
    net.partition('a@h', 'b@h')
    expect(p['b@h']!.list('room')).toEqual([])
    expect(p['a@h']!.list('room')).toHaveLength(1)
    net.heal()
    await net.settle()
    const entry = { key: 'ada', meta: 1, node: 'a@h', pid }
    expect(diffs).toEqual([
      { joins: [entry], leaves: [] },
      { joins: [], leaves: [entry] },
      { joins: [entry], leaves: [] },
    ])
    await net.kill('a@h')
    expect(p['b@h']!.list('room')).toEqual([])
  })

  it('a node that starts later sees the existing entries; a stopped tracker leaves everywhere', async () => {
    const { net, sys, p } = cluster('a@h')
    const pid = idle(sys['a@h']!)
    p['a@h']!.track(pid, 'room', 'ada', 1)
    const late = startPresence(net.addNode('b@h'))
    await net.settle()
    expect(late.list('room')).toEqual([{ key: 'ada', meta: 1, node: 'a@h', pid }])
    await p['a@h']!.stop()
    await p['a@h']!.stop()
    await net.settle()
    expect(late.list('room')).toEqual([])
    expect(() => p['a@h']!.track(pid, 'room', 'ada', 1)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOPROC' }))
  })
})

describe('presence: bad input', () => {
  it('synced resolves once every connected node lists this node\'s changes, however slow its link', async () => {
    const { net, sys, p } = cluster('a@h', 'b@h', 'c@h')
    await net.settle()
    net.delay('a@h', 'c@h', 50)
    const tab = idle(sys['a@h']!)
    p['a@h']!.track(tab, 'room', 'ada', 1)
    let seen: string[][] | undefined
    const done = p['a@h']!.synced().then(() => (seen = ['b@h', 'c@h'].map((n) => view(p[n]!.list('room')))))
    await net.clock.advance(99)
    expect(seen).toBeUndefined()
    await net.clock.advance(1)
    await done
    expect(seen).toEqual([[`ada@a@h:1:${tab.key}`], [`ada@a@h:1:${tab.key}`]])
    // An untrack is a change like any other.
    p['a@h']!.untrack(tab, 'room')
    net.delay('a@h', 'c@h', 0)
    await p['a@h']!.synced()
    for (const n of ['b@h', 'c@h']) expect(p[n]!.list('room')).toEqual([])
  })

  it('synced rejects naming a node that runs no tracker of the scope, and does not wait for one that goes down', async () => {
    net = createNetwork()
    const a = net.addNode('a@h')
    const b = net.addNode('b@h')
    net.addNode('bare@h')
    const pa = startPresence(a)
    startPresence(b)
    await net.settle()
    pa.track(idle(a), 'room', 'ada', 1)
    const rejected = pa.synced({ timeoutMs: 100 }).catch((err: unknown) => err)
    await net.clock.advance(100)
    expect(await rejected).toMatchObject({ code: 'COHORT_ERR_PRESENCE_NOT_SYNCED', message: expect.stringContaining('of bare@h did not confirm a@h') as unknown })

    await net.kill('bare@h')
    net.delay('a@h', 'b@h', 1_000)
    const waiting = pa.synced({ timeoutMs: 5_000 })
    await net.kill('b@h')
    await net.settle()
    await expect(waiting).resolves.toBeUndefined()
  })

  it('synced refuses a bad timeout and fails on a stopped tracker', async () => {
    const { p } = cluster('a@h')
    await expect(p['a@h']!.synced()).resolves.toBeUndefined()
    await expect(p['a@h']!.synced({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'timeoutMs' })
    await expect(p['a@h']!.synced(null as never)).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'options' })
    await p['a@h']!.stop()
    await expect(p['a@h']!.synced()).rejects.toMatchObject({ code: 'COHORT_ERR_NOPROC' })
  })

  it('drops malformed messages from peers with a warning and keeps running', async () => {
    const sink = createLogSink('warn')
    net = createNetwork({ logger: sink.logger })
    const a = net.addNode('a@h')
    const b = net.addNode('b@h')
    const pa = startPresence(a)
    const pb = startPresence(b)
    await net.settle()
    const to = { name: presenceActorName('default'), node: 'b@h' }
    for (const bad of [
      null,
      42,
      { t: 'nonsense' },
      { t: 'sync', peer: pa.pid, entries: 'x' },
      { t: 'track', peer: pa.pid, entry: ['room', 'ada', 1, 'not a pid', 1] },
      { t: 'untrack', peer: pa.pid, topic: 5, pid: pa.pid, keys: [] },
    ]) {
      a.send(to, bad)
    }
    await net.settle()
    expect(sink.records.filter((r) => r['level'] === 40)).toHaveLength(6)
    expect(pb.list('room')).toEqual([])
    const pid = idle(a)
    pa.track(pid, 'room', 'ada', 1)
    await net.settle()
    expect(pb.list('room')).toEqual([{ key: 'ada', meta: 1, node: 'a@h', pid }])
  })
})
