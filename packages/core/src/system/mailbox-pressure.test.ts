/** Mailbox bounds, their overflow policy, and the pressure a remote delivery reports for a mailbox that fell behind. */
import { describe, expect, it } from 'vitest'
import { isCohortError } from '../errors.ts'
import { Pid } from '../pid.ts'
import { Down } from '../signals.ts'
import { TestClock } from '../testing/test-clock.ts'
import type { TraceRecord } from '../trace.ts'
import { attachDistribution, createActorSystem } from './actor-system.ts'
import type { ActorSystem } from './actor-system.ts'
import type { Distribution, DistributionEndpoint } from '../distribution/distribution.ts'

function system(options: { mailboxHighWaterMessages?: number; mailboxHighWaterBytes?: number } = {}) {
  const clock = new TestClock()
  const sys = createActorSystem({ node: 'test@local', clock, creation: 1, ...options })
  return { sys, clock }
}

/** Attaches a distribution that accepts everything, with `overrides`; returns the system's endpoint. */
function attach(sys: ActorSystem, overrides: Partial<Distribution> = {}): DistributionEndpoint {
  const dist: Distribution = { send: () => 'ok', sendMessage: () => 'ok', drain: () => Promise.resolve(), nodes: () => [], ...overrides }
  return attachDistribution(sys, dist)
}

/** A process function that takes nothing until it receives 'go' (selectively), then records the rest. */
function stalled(got: unknown[]) {
  return async (ctx: { receive: (m?: (x: unknown) => boolean) => Promise<unknown> }) => {
    await ctx.receive((m) => m === 'go')
    for (;;) got.push(await ctx.receive())
  }
}

describe('maxMailbox', () => {
  it("drops the newest message at a full mailbox as a dead letter ('overflow') by default", async () => {
    const { sys } = system()
    const records: TraceRecord[] = []
    sys.trace((r) => records.push(r))
    const got: unknown[] = []
    const pid = sys.spawn(stalled(got), undefined, { maxMailbox: 3 })
    for (let i = 0; i < 10; i++) sys.send(pid, i)
    expect(sys.processes().find((p) => p.pid.equals(pid))?.mailboxDepth).toBe(3)
    expect(records.filter((r) => r.type === 'deadLetter' && r.reason === 'overflow')).toHaveLength(7)
    expect(sys.stats().deadLetters).toBe(7)
  })

  it("ends the actor with 'mailboxOverflow' when mailboxOverflow is 'exit'", async () => {
    const { sys } = system()
    const downs: Down[] = []
    const pid = sys.spawn(stalled([]), undefined, { maxMailbox: 2, mailboxOverflow: 'exit' })
    sys.monitor(pid, (d) => downs.push(d))
    for (let i = 0; i < 3; i++) sys.send(pid, i)
    await sys.whenIdle()
    expect(sys.isAlive(pid)).toBe(false)
    await Promise.resolve()
    expect(downs[0]?.reason).toBe('mailboxOverflow')
  })

  it('is validated at spawn, naming the option', () => {
    const { sys } = system()
    for (const bad of [{ maxMailbox: 0 }, { maxMailbox: 1.5 }, { mailboxOverflow: 'dropOldest' as 'exit' }]) {
      let error: unknown
      try {
        sys.spawn(stalled([]), undefined, bad)
      } catch (e) {
        error = e
      }
      expect(isCohortError(error, 'COHORT_ERR_INVALID_OPTION')).toBe(true)
    }
  })
})

describe('remote delivery pressure', () => {
  it('reports pressure once a mailbox reaches its mark and relieves it when it is worked down to half', async () => {
    const { sys } = system({ mailboxHighWaterMessages: 100 })
    const endpoint = attach(sys)
    const got: unknown[] = []
    const pid = sys.spawn(stalled(got))
    const msgs = Array.from({ length: 150 }, (_, i) => i)
    expect(endpoint.deliverSends(pid, msgs, 0, 50)).toBeUndefined()
    const pressure = endpoint.deliverSends(pid, msgs, 50, 150)
    expect(pressure).toBeInstanceOf(Promise)
    // The same pressure for every further delivery until it is relieved.
    expect(endpoint.deliver('other@node', { type: 'send', to: pid, from: undefined, msg: 'more' })).toBe(pressure)
    let relieved = false
    void pressure!.then(() => (relieved = true))
    await sys.whenIdle()
    expect(relieved).toBe(false)
    sys.send(pid, 'go')
    await sys.whenIdle()
    await pressure
    expect(relieved).toBe(true)
    // Released once the mailbox is down to half the mark, not before.
    expect(sys.processes().find((p) => p.pid.equals(pid))?.mailboxDepth).toBe(50)
  })

  it('uses half of maxMailbox as the mark when that is lower, so remote senders are slowed before anything is dropped', () => {
    const { sys } = system({ mailboxHighWaterMessages: 10_000 })
    const endpoint = attach(sys)
    const pid = sys.spawn(stalled([]), undefined, { maxMailbox: 10 })
    expect(endpoint.deliverSends(pid, [1, 2, 3, 4], 0, 4)).toBeUndefined()
    expect(endpoint.deliverSends(pid, [5], 0, 1)).toBeInstanceOf(Promise)
  })

  it('reports the same pressure for calls, so a flood of calls is held back like one of sends', () => {
    const { sys } = system({ mailboxHighWaterMessages: 3 })
    const endpoint = attach(sys, { compactCalls: true })
    const pid = sys.spawn(stalled([]), undefined, { name: 'busy' })
    expect(endpoint.deliverCall('other@node', pid.id, pid.creation, 1, 1, 1, 'a')).toBeUndefined()
    expect(endpoint.deliverCall('other@node', 'busy', null, 2, 2, 1, 'b')).toBeUndefined()
    expect(endpoint.deliverCall('other@node', pid.id, pid.creation, 3, 3, 1, 'c')).toBeInstanceOf(Promise)
  })

  it('weighs messages by what they weighed on the wire: a few large ones press as hard as many small ones', async () => {
    const { sys } = system({ mailboxHighWaterMessages: 10_000, mailboxHighWaterBytes: 4 * 1024 * 1024 })
    const endpoint = attach(sys)
    const got: unknown[] = []
    const pid = sys.spawn(stalled(got))
    const mib = 1024 * 1024
    // Three 1 MiB messages: under both marks.
    expect(endpoint.deliverSends(pid, [1, 2, 3], 0, 3, 3 * mib)).toBeUndefined()
    // The fourth reaches 4 MiB, far under 10,000 messages.
    const pressure = endpoint.deliver('other@node', { type: 'send', to: pid, from: undefined, msg: 4 }, mib)
    expect(pressure).toBeInstanceOf(Promise)
    let relieved = false
    void pressure!.then(() => (relieved = true))
    sys.send(pid, 'go')
    await sys.whenIdle()
    await pressure
    // Released at half the bytes: 2 MiB, two messages left at most.
    expect(relieved).toBe(true)
    expect(sys.processes().find((p) => p.pid.equals(pid))?.mailboxDepth).toBeLessThanOrEqual(2)
  })

  it('relieves the pressure when the actor ends', async () => {
    const { sys } = system({ mailboxHighWaterMessages: 2 })
    const endpoint = attach(sys)
    const pid = sys.spawn(stalled([]))
    const pressure = endpoint.deliverSends(pid, [1, 2, 3], 0, 3)
    sys.exit(pid, 'kill')
    await expect(pressure).resolves.toBeUndefined()
  })
})

describe('ctx.drain', () => {
  it('holds a process function that only sends until the busy peer drains', async () => {
    const { sys } = system()
    let busy = true
    let release: () => void = () => undefined
    const drained = new Promise<void>((resolve) => (release = resolve))
    let sent = 0
    attach(sys, {
      sendMessage: () => {
        sent++
        return busy ? 'busy' : 'ok'
      },
      drain: () => drained,
    })
    const remote = new Pid('other@node', 1, 1)
    const done = new Promise<void>((resolve) => {
      sys.spawn(async (ctx) => {
        for (let i = 0; i < 5; i++) {
          ctx.send(remote, i)
          await ctx.drain()
        }
        resolve()
      })
    })
    await sys.whenIdle()
    for (let i = 0; i < 10; i++) await Promise.resolve()
    expect(sent).toBe(1)
    busy = false
    release()
    await done
    expect(sent).toBe(5)
  })

  it('asks the distribution for one drain per pause, however many busy sends the paused turn makes', async () => {
    const { sys } = system()
    let drains = 0
    let release: () => void = () => undefined
    let secondPause: () => void = () => undefined
    const paused2 = new Promise<void>((resolve) => (secondPause = resolve))
    attach(sys, {
      sendMessage: () => 'busy',
      drain: () => {
        if (++drains === 2) secondPause()
        return new Promise<void>((resolve) => (release = resolve))
      },
    })
    const remote = new Pid('other@node', 1, 1)
    let turns = 0
    const done = new Promise<void>((resolve) => {
      sys.spawn(async (ctx) => {
        for (let turn = 0; turn < 2; turn++) {
          for (let i = 0; i < 100; i++) ctx.send(remote, i)
          turns++
          await ctx.drain()
        }
        resolve()
      })
    })
    await sys.whenIdle()
    expect([turns, drains]).toEqual([1, 1])
    release()
    await paused2
    expect([turns, drains]).toEqual([2, 2])
    release()
    await done
  })
})
