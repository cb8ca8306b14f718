import { describe, expect, it } from 'vitest'
import { FirstCatchUp } from './first-catch-up.ts'

type State = 'connected' | 'connecting' | 'backoff'

function fakes(): { map: { pid: string; caught: string[]; connected: string[]; caughtUp(): string[]; peers(): string[] }; cluster: { list: Array<{ name: string; state: State }>; members(): Array<{ name: string; state: State }> } } {
  const map = { pid: '<a@h.1.0>', caught: [] as string[], connected: [] as string[], caughtUp: () => map.caught, peers: () => map.connected }
  const cluster = { list: [] as Array<{ name: string; state: State }>, members: () => cluster.list }
  return { map, cluster }
}

describe('FirstCatchUp', () => {
  it('waits while a reported node is being dialled or connected, until a catch-up with any peer ends', () => {
    const { map, cluster } = fakes()
    const first = new FirstCatchUp(map, cluster)
    cluster.list = [{ name: 'a@h', state: 'connecting' }, { name: 'b@h', state: 'backoff' }]
    expect(first.notDoneReason()).toBe('catching up: no catch-up with a peer has ended yet (a@h)')
    cluster.list = [{ name: 'a@h', state: 'connected' }, { name: 'b@h', state: 'backoff' }]
    map.connected = ['a@h']
    expect(first.notDoneReason()).toMatch(/^catching up/)
    map.caught = ['a@h']
    expect(first.notDoneReason()).toBeUndefined()
    // Met once, it stays met: the node keeps its data when its peers leave.
    map.caught = []
    expect(first.notDoneReason()).toBeUndefined()
    // A replica the supervisor restarted is empty: it is waited for again.
    map.pid = '<a@h.1.7>'
    expect(first.notDoneReason()).toMatch(/^catching up/)
    map.caught = ['a@h']
    expect(first.notDoneReason()).toBeUndefined()
  })

  it('passes when nobody can be caught up from: no node reported, or every one refusing connections', () => {
    const alone = fakes()
    expect(new FirstCatchUp(alone.map, alone.cluster).notDoneReason()).toBeUndefined()
    const refused = fakes()
    refused.cluster.list = [{ name: 'a@h', state: 'backoff' }, { name: 'b@h', state: 'backoff' }]
    expect(new FirstCatchUp(refused.map, refused.cluster).notDoneReason()).toBeUndefined()
  })

  it('waits for a peer that connected to this node though discovery does not report it', () => {
    const { map, cluster } = fakes()
    map.connected = ['z@h']
    expect(new FirstCatchUp(map, cluster).notDoneReason()).toBe('catching up: no catch-up with a peer has ended yet (z@h)')
  })
})
