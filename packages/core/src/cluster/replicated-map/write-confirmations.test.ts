import { describe, expect, it } from 'vitest'
import type { From } from '../../actor/ctx.ts'
import { Pid } from '../../pid.ts'
import { Ref } from '../../ref.ts'
import { MAX_OPEN_CONFIRMATIONS, WriteConfirmations } from './write-confirmations.ts'

const from = { pid: new Pid('a@h', 1, 1), ref: new Ref('a@h', 1, 1) } as unknown as From
/** A peer's map actor; another `creation` is another incarnation of it. */
const pidOf = (node: string, creation = 7): Pid => new Pid(node, 1, creation)

describe('WriteConfirmations', () => {
  it('pings only once the outbox has taken what was queued at the call, and finishes at atLeast peers', () => {
    const c = new WriteConfirmations()
    const id = c.open(from, ['b@h', 'c@h'], 1, 5)!
    const pinged: string[] = []
    const ping = (_id: number, node: string): Pid => (pinged.push(node), pidOf(node))
    expect(c.pingDue(4, ping)).toEqual([])
    expect(pinged).toEqual([])
    expect(c.pingDue(5, ping)).toEqual([])
    expect(pinged).toEqual(['b@h', 'c@h'])
    // Pinged once: later batches do not ping again.
    c.pingDue(9, ping)
    expect(pinged).toHaveLength(2)
    const done = c.pong(id, pidOf('c@h'), true)
    expect(done?.outcome).toEqual({ confirmed: ['c@h'], missing: [] })
    expect(c.size).toBe(0)
  })

  it('counts a peer that answered before its catch-up ended once it ends, and ignores a pong from another pid', () => {
    const c = new WriteConfirmations()
    const id = c.open(from, ['b@h', 'c@h'], 2, 0)!
    c.pingDue(0, (_id, node) => pidOf(node))
    expect(c.pong(id, pidOf('b@h', 99), true)).toBeUndefined()
    expect(c.pong(id, pidOf('b@h'), false)).toBeUndefined()
    expect(c.pong(id, pidOf('c@h'), true)).toBeUndefined()
    expect(c.caughtUp('c@h')).toEqual([])
    expect(c.caughtUp('b@h').map((d) => d.outcome)).toEqual([{ confirmed: ['c@h', 'b@h'], missing: [] }])
  })

  it('stops waiting for a peer that is gone or restarted, and finishes when none is left to hear from', () => {
    const c = new WriteConfirmations()
    const id = c.open(from, ['b@h', 'c@h', 'd@h'], 3, 0)!
    // d is no peer any more when the pings go out: never asked.
    c.pingDue(0, (_id, node) => (node === 'd@h' ? undefined : pidOf(node)))
    c.pong(id, pidOf('b@h'), true)
    // c came back as a new incarnation, which never saw the ping.
    const done = c.prune((node) => (node === 'c@h' ? pidOf('c@h', 8) : pidOf(node)))
    expect(done.map((d) => d.outcome)).toEqual([{ confirmed: ['b@h'], missing: [] }])
  })

  it('answers at its timeout with the peers that confirmed and, sorted, those that did not', () => {
    const c = new WriteConfirmations()
    const id = c.open(from, ['d@h', 'b@h', 'c@h'], 3, 0)!
    c.pingDue(0, (_id, node) => pidOf(node))
    c.pong(id, pidOf('c@h'), true)
    expect(c.expire(id)?.outcome).toEqual({ confirmed: ['c@h'], missing: ['b@h', 'd@h'] })
    expect(c.expire(id)).toBeUndefined()
    expect(c.pong(id, pidOf('b@h'), true)).toBeUndefined()
  })

  it('keeps at most MAX_OPEN_CONFIRMATIONS open: past it the oldest answers what it has', () => {
    const c = new WriteConfirmations()
    const first = c.open(from, ['b@h'], 1, 0)!
    c.pingDue(0, (_id, node) => pidOf(node))
    for (let i = 1; i < MAX_OPEN_CONFIRMATIONS; i++) c.open(from, ['b@h'], 1, 0)
    expect(c.overflow()).toBeUndefined()
    c.open(from, ['b@h'], 1, 0)
    expect(c.overflow()?.outcome).toEqual({ confirmed: [], missing: ['b@h'] })
    expect(c.size).toBe(MAX_OPEN_CONFIRMATIONS)
    expect(c.pong(first, pidOf('b@h'), true)).toBeUndefined()
  })

  it('has nothing to wait for with no peers or atLeast 0', () => {
    const c = new WriteConfirmations()
    expect(c.open(from, [], 1, 0)).toBeUndefined()
    expect(c.open(from, ['b@h'], 0, 0)).toBeUndefined()
    expect(c.size).toBe(0)
  })
})
