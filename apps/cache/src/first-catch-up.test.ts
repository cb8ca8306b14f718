import { describe, expect, it } from 'vitest'
import { NOT_JOINED_REASON } from '@cohort/discovery'
import { CUT_OFF_REASON, FirstCatchUp } from './first-catch-up.ts'
import type { GivenUp } from './first-catch-up.ts'

type State = 'connected' | 'connecting' | 'backoff'

/**
 * A map and a discovery view to drive by hand, and a clock. `ask` moves the clock on by a millisecond first: an answer
 * is worked out at most once a millisecond.
 */
function setup(maxWaitMs = 60_000, aloneMs = 35_000): {
  map: { pid: unknown; caught: string[]; connected: string[]; caughtUp(): string[]; peers(): string[] }
  cluster: {
    isJoined: boolean
    isCutOff: boolean
    list: Array<{ name: string; state: State }>
    joined(): boolean
    cutOff(): boolean
    members(): Array<{ name: string; state: State }>
  }
  clock: { ms: number }
  gaveUp: Array<[GivenUp, string[]]>
  alone: number[]
  first: FirstCatchUp
  ask: () => string | undefined
} {
  const map = { pid: '<a@h.1.0>' as unknown, caught: [] as string[], connected: [] as string[], caughtUp: () => map.caught, peers: () => map.connected }
  const cluster = {
    isJoined: true,
    isCutOff: false,
    list: [] as Array<{ name: string; state: State }>,
    joined: () => cluster.isJoined,
    cutOff: () => cluster.isCutOff,
    members: () => cluster.list,
  }
  const clock = { ms: 0 }
  const gaveUp: Array<[GivenUp, string[]]> = []
  const alone: number[] = []
  const first = new FirstCatchUp(map, cluster, { maxWaitMs, aloneMs, now: () => clock.ms, onGiveUp: (what, pending) => gaveUp.push([what, pending]), onAlone: () => alone.push(clock.ms) })
  const ask = (): string | undefined => {
    clock.ms += 1
    return first.notDoneReason()
  }
  return { map, cluster, clock, gaveUp, alone, first, ask }
}

describe('FirstCatchUp', () => {
  it('waits until a catch-up has ended with every reachable peer, not just one', () => {
    const { map, cluster, ask } = setup()
    cluster.list = [{ name: 'b@h', state: 'connected' }, { name: 'c@h', state: 'connecting' }, { name: 'd@h', state: 'backoff' }]
    map.connected = ['b@h']
    expect(ask()).toBe('catching up: no catch-up has ended yet with b@h, c@h')
    // b was restarted with this node and is empty too: its catch-up ending is not enough while c's has not.
    map.caught = ['b@h']
    expect(ask()).toBe('catching up: no catch-up has ended yet with c@h')
    cluster.list[1]!.state = 'connected'
    map.connected = ['b@h', 'c@h']
    map.caught = ['b@h', 'c@h']
    expect(ask()).toBeUndefined()
    // Met once, it stays met: the node keeps its data when its peers leave or others come.
    map.caught = []
    cluster.list[2]!.state = 'connected'
    expect(ask()).toBeUndefined()
  })

  it('works an answer out at most once a millisecond, and at once for a new replica', () => {
    const { map, cluster, clock, ask } = setup()
    cluster.list = [{ name: 'b@h', state: 'connected' }]
    expect(ask()).toMatch(/^catching up/)
    map.caught = ['b@h']
    const first = new FirstCatchUp(map, cluster, { maxWaitMs: 60_000, aloneMs: 35_000, now: () => clock.ms })
    expect(first.notDoneReason()).toBeUndefined()
    // The same millisecond: the answer worked out before stands, unless the replica changed.
    map.caught = []
    map.pid = { replica: 2 }
    expect(first.notDoneReason()).toMatch(/^catching up/)
    map.caught = ['b@h']
    expect(first.notDoneReason()).toMatch(/^catching up/)
    clock.ms += 1
    expect(first.notDoneReason()).toBeUndefined()
  })

  it('waits again for a replica the supervisor restarted: a new pid object, whatever it prints', () => {
    const { map, cluster, ask } = setup()
    map.pid = { toString: () => '<a@h.1.0>' }
    cluster.list = [{ name: 'b@h', state: 'connected' }]
    map.caught = ['b@h']
    expect(ask()).toBeUndefined()
    expect(ask()).toBeUndefined()
    map.pid = { toString: () => '<a@h.1.0>' }
    map.caught = []
    expect(ask()).toMatch(/^catching up/)
    map.caught = ['b@h']
    expect(ask()).toBeUndefined()
  })

  it('waits for discovery to succeed once, at most maxWaitMs, and then for the catch-up with a wait of its own', () => {
    const { map, cluster, clock, gaveUp, ask } = setup(60_000)
    cluster.isJoined = false
    expect(ask()).toBe(NOT_JOINED_REASON)
    clock.ms = 59_999
    expect(ask()).toBe(NOT_JOINED_REASON)
    expect(ask()).toBeUndefined()
    expect(ask()).toBeUndefined()
    expect(gaveUp).toEqual([['join', []]])
    // Discovery succeeds long after: the node still holds nothing, and waits for its peer as a fresh node would.
    clock.ms = 90_000
    cluster.isJoined = true
    cluster.list = [{ name: 'b@h', state: 'connected' }]
    expect(ask()).toBe('catching up: no catch-up has ended yet with b@h')
    clock.ms = 149_000
    expect(ask()).toBe('catching up: no catch-up has ended yet with b@h')
    map.caught = ['b@h']
    expect(ask()).toBeUndefined()
  })

  it('waits, at most maxWaitMs, while cut off before it caught up; once caught up, being cut off does not matter', () => {
    const { map, cluster, clock, gaveUp, ask } = setup(60_000)
    cluster.isCutOff = true
    cluster.list = [{ name: 'b@h', state: 'backoff' }]
    expect(ask()).toBe(CUT_OFF_REASON)
    clock.ms = 60_000
    expect(ask()).toBeUndefined()
    expect(gaveUp).toEqual([['cut off', []]])
    // The cookie fixed: b accepts, and the node waits for its data.
    cluster.isCutOff = false
    cluster.list[0]!.state = 'connected'
    expect(ask()).toBe('catching up: no catch-up has ended yet with b@h')
    map.caught = ['b@h']
    expect(ask()).toBeUndefined()
    cluster.isCutOff = true
    cluster.list[0]!.state = 'backoff'
    expect(ask()).toBeUndefined()
  })

  it('waits again, with a wait of its own, for peers that come back after maxWaitMs', () => {
    const { map, cluster, clock, gaveUp, ask } = setup(60_000)
    cluster.list = [{ name: 'b@h', state: 'backoff' }]
    expect(ask()).toBeUndefined()
    clock.ms = 120_000
    cluster.list[0]!.state = 'connected'
    expect(ask()).toBe('catching up: no catch-up has ended yet with b@h')
    map.caught = ['b@h']
    expect(ask()).toBeUndefined()
    expect(gaveUp).toEqual([])
  })

  it('is ready while nobody can be reached, without counting that as caught up', () => {
    const { map, cluster, alone, ask } = setup()
    expect(ask()).toBeUndefined()
    cluster.list = [{ name: 'b@h', state: 'backoff' }, { name: 'c@h', state: 'backoff' }]
    expect(ask()).toBeUndefined()
    // Restarted while cut off: once a peer is back, the node waits for its data.
    cluster.list[0]!.state = 'connected'
    expect(ask()).toBe('catching up: no catch-up has ended yet with b@h')
    map.caught = ['b@h']
    expect(ask()).toBeUndefined()
    expect(alone).toEqual([])
  })

  it('counts a node alone for aloneMs as the first of its cluster: it keeps serving as others join', () => {
    const { map, cluster, clock, alone, ask } = setup(60_000, 35_000)
    expect(ask()).toBeUndefined()
    clock.ms = 35_000
    expect(ask()).toBeUndefined()
    expect(alone).toEqual([35_001])
    cluster.list = [{ name: 'b@h', state: 'connected' }]
    map.connected = ['b@h']
    expect(ask()).toBeUndefined()
    // Its replica restarted: empty now, it waits for the node that joined.
    map.pid = '<a@h.1.9>'
    expect(ask()).toBe('catching up: no catch-up has ended yet with b@h')
  })

  it('does not count a restarted node as the first while the nodes that dial it have yet to redial', () => {
    const { map, clock, alone, ask } = setup(60_000, 35_000)
    expect(ask()).toBeUndefined()
    clock.ms = 20_000
    expect(ask()).toBeUndefined()
    // A peer redials it (its discovery lists this node; this node's lists nobody): it waits for that peer's data.
    map.connected = ['b@h']
    expect(ask()).toBe('catching up: no catch-up has ended yet with b@h')
    // Alone again (the peer dropped) counts from anew.
    map.connected = []
    clock.ms = 50_000
    expect(ask()).toBeUndefined()
    clock.ms = 84_000
    expect(ask()).toBeUndefined()
    expect(alone).toEqual([])
    clock.ms = 85_000
    expect(ask()).toBeUndefined()
    expect(alone).toEqual([85_001])
  })

  it('does not count as alone a node that a peer connected to between two asks', () => {
    const { clock, alone, first, ask } = setup(60_000, 35_000)
    expect(ask()).toBeUndefined()
    // A peer connects and leaves again before the next ask: the node was not alone, so it counts from the next ask.
    clock.ms = 20_000
    first.connected()
    clock.ms = 35_001
    expect(ask()).toBeUndefined()
    expect(alone).toEqual([])
    clock.ms = 70_001
    expect(ask()).toBeUndefined()
    expect(alone).toEqual([70_002])
  })

  it('waits for a peer that connected to this node though discovery does not report it', () => {
    const { map, ask } = setup()
    map.connected = ['z@h']
    expect(ask()).toBe('catching up: no catch-up has ended yet with z@h')
  })

  it('gives up after maxWaitMs from the start of the wait, once, naming the peers it gave up on', () => {
    const { cluster, clock, gaveUp, ask } = setup(60_000)
    cluster.list = [{ name: 'old@h', state: 'connected' }]
    expect(ask()).toMatch(/^catching up/)
    clock.ms = 59_999
    expect(ask()).toMatch(/^catching up/)
    expect(ask()).toBeUndefined()
    expect(ask()).toBeUndefined()
    expect(gaveUp).toEqual([['catch-up', ['old@h']]])
  })

  it('does not wait with a maxWaitMs of 0, and says nothing', () => {
    const { cluster, gaveUp, alone, ask } = setup(0, 0)
    cluster.isJoined = false
    expect(ask()).toBeUndefined()
    cluster.isJoined = true
    cluster.list = [{ name: 'b@h', state: 'connected' }]
    expect(ask()).toBeUndefined()
    cluster.list = []
    expect(ask()).toBeUndefined()
    expect(ask()).toBeUndefined()
    expect(gaveUp).toEqual([])
    expect(alone).toEqual([])
  })

  it('names five pending peers and counts the rest', () => {
    const { cluster, ask } = setup()
    cluster.list = Array.from({ length: 8 }, (_, i) => ({ name: `n${i}@h`, state: 'connected' as const }))
    expect(ask()).toBe('catching up: no catch-up has ended yet with n0@h, n1@h, n2@h, n3@h, n4@h, and 3 more')
  })
})
