import { describe, expect, it } from 'vitest'
import { FirstCatchUp } from './first-catch-up.ts'

type State = 'connected' | 'connecting' | 'backoff'

/** A map and a discovery view to drive by hand, and a clock. */
function setup(maxWaitMs = 60_000): {
  map: { pid: string; caught: string[]; connected: string[]; caughtUp(): string[]; peers(): string[] }
  cluster: { list: Array<{ name: string; state: State }>; members(): Array<{ name: string; state: State }> }
  clock: { ms: number }
  gaveUp: string[][]
  first: FirstCatchUp
} {
  const map = { pid: '<a@h.1.0>', caught: [] as string[], connected: [] as string[], caughtUp: () => map.caught, peers: () => map.connected }
  const cluster = { list: [] as Array<{ name: string; state: State }>, members: () => cluster.list }
  const clock = { ms: 0 }
  const gaveUp: string[][] = []
  const first = new FirstCatchUp(map, cluster, { maxWaitMs, now: () => clock.ms, onGiveUp: (pending) => gaveUp.push(pending) })
  return { map, cluster, clock, gaveUp, first }
}

describe('FirstCatchUp', () => {
  it('waits until a catch-up has ended with every reachable peer, not just one', () => {
    const { map, cluster, first } = setup()
    cluster.list = [{ name: 'b@h', state: 'connected' }, { name: 'c@h', state: 'connecting' }, { name: 'd@h', state: 'backoff' }]
    map.connected = ['b@h']
    expect(first.notDoneReason()).toBe('catching up: no catch-up has ended yet with b@h, c@h')
    // b was restarted with this node and is empty too: its catch-up ending is not enough while c's has not.
    map.caught = ['b@h']
    expect(first.notDoneReason()).toBe('catching up: no catch-up has ended yet with c@h')
    cluster.list[1]!.state = 'connected'
    map.connected = ['b@h', 'c@h']
    map.caught = ['b@h', 'c@h']
    expect(first.notDoneReason()).toBeUndefined()
    // Met once, it stays met: the node keeps its data when its peers leave or others come.
    map.caught = []
    cluster.list[2]!.state = 'connected'
    expect(first.notDoneReason()).toBeUndefined()
  })

  it('waits again for a replica the supervisor restarted', () => {
    const { map, cluster, first } = setup()
    cluster.list = [{ name: 'b@h', state: 'connected' }]
    map.caught = ['b@h']
    expect(first.notDoneReason()).toBeUndefined()
    map.pid = '<a@h.1.7>'
    map.caught = []
    expect(first.notDoneReason()).toMatch(/^catching up/)
    map.caught = ['b@h']
    expect(first.notDoneReason()).toBeUndefined()
  })

  it('counts a node that discovery reports alone as caught up: the first of its cluster keeps serving as others join', () => {
    const { map, cluster, first } = setup()
    expect(first.notDoneReason()).toBeUndefined()
    cluster.list = [{ name: 'b@h', state: 'connected' }]
    map.connected = ['b@h']
    expect(first.notDoneReason()).toBeUndefined()
    // Its replica restarted: empty now, it waits for the node that joined.
    map.pid = '<a@h.1.9>'
    expect(first.notDoneReason()).toBe('catching up: no catch-up has ended yet with b@h')
  })

  it('is ready while every reported node is in backoff, without counting that as caught up', () => {
    const { map, cluster, first } = setup()
    cluster.list = [{ name: 'b@h', state: 'backoff' }, { name: 'c@h', state: 'backoff' }]
    expect(first.notDoneReason()).toBeUndefined()
    // Restarted while cut off: once a peer is back, the node waits for its data.
    cluster.list[0]!.state = 'connected'
    expect(first.notDoneReason()).toBe('catching up: no catch-up has ended yet with b@h')
    map.caught = ['b@h']
    expect(first.notDoneReason()).toBeUndefined()
  })

  it('waits for a peer that connected to this node though discovery does not report it', () => {
    const { map, first } = setup()
    map.connected = ['z@h']
    expect(first.notDoneReason()).toBe('catching up: no catch-up has ended yet with z@h')
  })

  it('gives up after maxWaitMs from the replica\'s start, once, naming the peers it gave up on', () => {
    const { cluster, clock, gaveUp, first } = setup(60_000)
    cluster.list = [{ name: 'old@h', state: 'connected' }]
    expect(first.notDoneReason()).toMatch(/^catching up/)
    clock.ms = 59_999
    expect(first.notDoneReason()).toMatch(/^catching up/)
    clock.ms = 60_000
    expect(first.notDoneReason()).toBeUndefined()
    expect(first.notDoneReason()).toBeUndefined()
    expect(gaveUp).toEqual([['old@h']])
  })

  it('does not wait with a maxWaitMs of 0, and gives up on nobody', () => {
    const { cluster, gaveUp, first } = setup(0)
    cluster.list = [{ name: 'b@h', state: 'connected' }]
    expect(first.notDoneReason()).toBeUndefined()
    expect(gaveUp).toEqual([])
  })

  it('names five pending peers and counts the rest', () => {
    const { cluster, first } = setup()
    cluster.list = Array.from({ length: 8 }, (_, i) => ({ name: `n${i}@h`, state: 'connected' as const }))
    expect(first.notDoneReason()).toBe('catching up: no catch-up has ended yet with n0@h, n1@h, n2@h, n3@h, n4@h, and 3 more')
  })
})
