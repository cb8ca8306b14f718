import { createActorSystem, seededRandom, supervisor } from '@cohort/core'
import type { ActorSystem, Pid, TraceRecord } from '@cohort/core'
import { TestClock } from '@cohort/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { backoffDelayMs, backoffKeeper } from './backoff-keeper.ts'
import type { BackoffKeeperOptions } from './backoff-keeper.ts'

describe('backoffDelayMs', () => {
  it('doubles from the initial delay, caps it, and jitters the upper half only', () => {
    expect(backoffDelayMs(1, 100, 1_000, () => 0)).toBe(50)
    expect(backoffDelayMs(1, 100, 1_000, () => 1)).toBe(100)
    expect(backoffDelayMs(3, 100, 1_000, () => 1)).toBe(400)
    expect(backoffDelayMs(10, 100, 1_000, () => 1)).toBe(1_000)
    expect(backoffDelayMs(100, 100, 1_000, () => 0)).toBe(500)
    const random = seededRandom(7)
    for (let attempt = 1; attempt < 20; attempt++) {
      const delay = backoffDelayMs(attempt, 100, 1_000, random)
      expect(delay).toBeGreaterThanOrEqual(50)
      expect(delay).toBeLessThanOrEqual(1_000)
    }
  })
})

/** Lets the actors run until nothing is left to do at the current virtual time (a child's crash takes a few hops). */
async function settle(clock: TestClock, system: ActorSystem): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await clock.advance(0)
    await system.whenIdle()
  }
}

describe('backoffKeeper', () => {
  let system: ActorSystem | undefined
  afterEach(async () => {
    await system?.shutdown()
  })

  /** A keeper under a root supervisor, whose child fails at once each time it is started (a dependency that is away). */
  async function start(overrides: Partial<BackoffKeeperOptions> = {}) {
    const clock = new TestClock()
    system = createActorSystem({ clock, strictMessages: true })
    const starts: number[] = []
    const gaveUp: { attempt: number; retryInMs: number | undefined }[] = []
    let failing = true
    let recovered = false
    const child = async (): Promise<void> => {
      starts.push(clock.now())
      if (failing) throw new Error('the dependency is away')
      recovered = true
      await new Promise(() => undefined)
    }
    const keeper = backoffKeeper({
      child,
      onGiveUp: 'backoff',
      backoffInitialMs: 100,
      backoffMaxMs: 400,
      random: () => 1,
      now: () => clock.now(),
      recovered: () => recovered,
      onChildGaveUp: (_reason, attempt, retryInMs) => gaveUp.push({ attempt, retryInMs }),
      ...overrides,
    })
    const root: Pid = await system.start(supervisor({ intensity: { maxRestarts: 0, withinMs: 1 }, children: [{ id: 'keeper', start: keeper }] }))
    await settle(clock, system)
    return { clock, system, root, starts, gaveUp, heal: () => (failing = false) }
  }

  it('starts the child again after a doubling, capped delay, never sooner', async () => {
    const { clock, system, root, starts, gaveUp } = await start()
    expect(starts).toEqual([0])
    expect(gaveUp).toEqual([{ attempt: 1, retryInMs: 100 }])
    await clock.advance(99)
    expect(starts).toEqual([0])
    await clock.advance(1)
    await settle(clock, system)
    expect(starts).toEqual([0, 100])
    for (let i = 0; i < 3; i++) {
      await clock.advanceToNext()
      await settle(clock, system)
    }
    expect(starts).toEqual([0, 100, 300, 700, 1_100])
    expect(gaveUp.map((g) => g.retryInMs)).toEqual([100, 200, 400, 400, 400])
    expect(system.isAlive(root)).toBe(true)
  })

  it('starts over from the shortest delay once the child has recovered', async () => {
    const { clock, system, starts, gaveUp, heal } = await start()
    await clock.advanceToNext()
    await settle(clock, system)
    expect(gaveUp.at(-1)).toEqual({ attempt: 2, retryInMs: 200 })
    heal()
    await clock.advanceToNext()
    await settle(clock, system)
    expect(starts).toEqual([0, 100, 300])
    expect(gaveUp).toHaveLength(2)
  })

  it('exits when told to escalate, so that its parent decides', async () => {
    const clock = new TestClock()
    system = createActorSystem({ clock })
    const exits: TraceRecord[] = []
    system.trace((r) => {
      if (r.type === 'exit') exits.push(r)
    })
    const keeper = backoffKeeper({
      child: async () => {
        throw new Error('the dependency is away')
      },
      onGiveUp: 'escalate',
      backoffInitialMs: 100,
      backoffMaxMs: 400,
      random: () => 1,
      now: () => clock.now(),
      recovered: () => false,
      onChildGaveUp: () => undefined,
    })
    const root = await system.start(supervisor({ intensity: { maxRestarts: 0, withinMs: 1 }, children: [{ id: 'keeper', start: keeper }] }))
    await settle(clock, system)
    expect(system.isAlive(root)).toBe(false)
    expect(exits.map((e) => (e.type === 'exit' ? e.reason : undefined))).toContainEqual({ gaveUp: expect.any(Error) })
  })

  it('stops its child first when its parent stops it', async () => {
    const { clock, system, heal } = await start()
    heal()
    await clock.advanceToNext()
    await settle(clock, system)
    const order: string[] = []
    const names = new Map(system.processes().map((p) => [String(p.pid), p.behaviour]))
    system.trace((r) => {
      if (r.type === 'exit') order.push(names.get(String(r.pid)) ?? '?')
    })
    await system.shutdown()
    expect(order.indexOf('child')).toBeLessThan(order.indexOf('keeper'))
    expect(order.indexOf('keeper')).toBeGreaterThanOrEqual(0)
  })
})
