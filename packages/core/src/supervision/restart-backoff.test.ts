import { afterEach, describe, expect, it } from 'vitest'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import type { Pid } from '../pid.ts'
import { seededRandom } from '../random.ts'
import { createActorSystem } from '../system/actor-system.ts'
import type { ActorSystem } from '../system/actor-system.ts'
import { TestClock } from '../testing/test-clock.ts'
import type { TraceRecord } from '../trace.ts'
import type { ChildSpec, SupervisorStrategy } from './child-spec.ts'
import { resetBackoff, whichChildren } from './dynamic-supervisor.ts'
import { resolveRestartBackoff, restartDelayMs } from './restart-backoff.ts'
import type { RestartBackoff, RestartBackoffEvent } from './restart-backoff.ts'
import { supervisor } from './supervisor.ts'

describe('restartDelayMs', () => {
  const backoff = (over: Partial<Parameters<typeof restartDelayMs>[1]> = {}) => ({ initialMs: 100, maxMs: 1_000, multiplier: 2, jitter: 0.5, random: () => 1, ...over })

  it('grows from initialMs by the multiplier, up to maxMs', () => {
    expect([1, 2, 3, 4, 5, 50].map((n) => restartDelayMs(n, backoff()))).toEqual([100, 200, 400, 800, 1_000, 1_000])
    expect([1, 2, 3].map((n) => restartDelayMs(n, backoff({ multiplier: 3 })))).toEqual([100, 300, 900])
    // A very long outage stays at the cap instead of overflowing.
    expect(restartDelayMs(100_000, backoff({ multiplier: 10 }))).toBe(1_000)
  })

  it('draws the jitter fraction of the delay at random, and only that', () => {
    expect(restartDelayMs(1, backoff({ random: () => 0 }))).toBe(50)
    expect(restartDelayMs(3, backoff({ random: () => 0 }))).toBe(200)
    expect(restartDelayMs(3, backoff({ jitter: 0, random: () => 0 }))).toBe(400)
    expect(restartDelayMs(3, backoff({ jitter: 1, random: () => 0 }))).toBe(0)
    const random = seededRandom(7)
    for (let attempt = 1; attempt < 20; attempt++) {
      const delay = restartDelayMs(attempt, backoff({ random }))
      const capped = Math.min(1_000, 100 * 2 ** (attempt - 1))
      expect(delay).toBeGreaterThanOrEqual(capped / 2)
      expect(delay).toBeLessThanOrEqual(capped)
    }
  })
})

describe('resolveRestartBackoff', () => {
  it('applies the defaults', () => {
    expect(resolveRestartBackoff({ initialMs: 10, maxMs: 20 }, 'b')).toMatchObject({ multiplier: 2, jitter: 0.5, resetAfterMs: 30_000, maxAttempts: Infinity })
    expect(resolveRestartBackoff({ initialMs: 10, maxMs: 20, resetAfterMs: Infinity }, 'b').resetAfterMs).toBe(Infinity)
  })

  it('names the field and the value it refuses', () => {
    const bad = (input: unknown) => () => resolveRestartBackoff(input as RestartBackoff, 'children[1].backoff')
    expect(bad(5)).toThrow(/children\[1\]\.backoff/)
    expect(bad({ initialMs: 0, maxMs: 10 })).toThrow(/children\[1\]\.backoff\.initialMs/)
    expect(bad({ initialMs: 100, maxMs: 10 })).toThrow(/children\[1\]\.backoff\.maxMs.*>= initialMs \(100\)/)
    expect(bad({ initialMs: 1, maxMs: 10, multiplier: 0.5 })).toThrow(/multiplier/)
    expect(bad({ initialMs: 1, maxMs: 10, jitter: 2 })).toThrow(/jitter/)
    expect(bad({ initialMs: 1, maxMs: 10, maxAttempts: -1 })).toThrow(/maxAttempts/)
    expect(bad({ initialMs: 1, maxMs: 10, resetAfterMs: -5 })).toThrow(/resetAfterMs/)
    expect(bad({ initialMs: 1, maxMs: 10, onBackoff: 'log' })).toThrow(/onBackoff/)
    expect(bad({ initialMs: 1, maxMs: 10 })).not.toThrow()
  })

  it("is refused on a 'temporary' child, which is never restarted", () => {
    expect(() => supervisor({ children: [{ id: 'x', start: async () => undefined, restart: 'temporary', backoff: { initialMs: 1, maxMs: 2 } }] })).toThrow(
      /children\[0\]\.backoff.*'temporary' child is never restarted/,
    )
  })
})

describe('supervisor: restart with backoff', () => {
  let system: ActorSystem | undefined
  afterEach(async () => {
    await system?.shutdown()
    system = undefined
  })

  /** Lets the actors run until nothing is left to do at the current virtual time (a restart takes a few hops). */
  async function settle(clock: TestClock): Promise<void> {
    for (let i = 0; i < 10; i++) {
      await clock.advance(0)
      await system!.whenIdle()
    }
  }

  /**
   * A supervisor whose child 'dep' fails in init while `away` holds (a dependency that is away) and crashes on a
   * 'crash' cast; with siblings 'before' and 'after' around it, and every start and restart recorded.
   */
  async function start(options: { backoff?: Partial<RestartBackoff>; strategy?: SupervisorStrategy; maxRestarts?: number; away?: boolean } = {}) {
    const clock = new TestClock()
    system = createActorSystem({ node: 'backoff@test', clock, creation: 1, strictMessages: true })
    const sys = system
    const starts: Array<[string, number]> = []
    const events: RestartBackoffEvent[] = []
    const restarts: TraceRecord[] = []
    sys.trace((r) => r.type === 'restart' && restarts.push(r))
    const world = { away: options.away ?? false }
    const worker = (id: string, fails = false): ServerBehaviour => ({
      name: id,
      init() {
        starts.push([id, clock.now()])
        if (fails && world.away) throw new Error('the dependency is away')
        return null
      },
      handleCast(req: string) {
        if (req === 'crash') throw new Error(`${id} crashed`)
        return null
      },
    })
    const children: ChildSpec[] = [
      { id: 'before', start: worker('before') },
      {
        id: 'dep',
        start: worker('dep', true),
        backoff: { initialMs: 100, maxMs: 400, random: () => 1, resetAfterMs: 1_000, onBackoff: (e) => events.push(e), ...options.backoff },
      },
      { id: 'after', start: worker('after') },
    ]
    const sup = await sys.start(supervisor({ strategy: options.strategy ?? 'oneForOne', intensity: { maxRestarts: options.maxRestarts ?? 1, withinMs: 10_000 }, children }))
    await settle(clock)
    const pidOf = async (id: string): Promise<Pid | undefined> => (await whichChildren(sys, sup)).find((c) => c.id === id)?.pid
    const crash = async (id: string): Promise<void> => {
      sys.cast((await pidOf(id))!, 'crash')
      await settle(clock)
    }
    const startsOf = (id: string): number[] => starts.filter(([c]) => c === id).map(([, t]) => t)
    return { clock, sys, sup, world, events, restarts, pidOf, crash, startsOf, starts }
  }

  it('waits initialMs, then longer after each failure in a row, never sooner; and tells onBackoff each time', async () => {
    const { clock, sys, sup, world, events, crash, startsOf, pidOf } = await start()
    world.away = true
    await crash('dep')
    expect(events).toEqual([{ child: 'dep', reason: expect.any(Error), attempt: 1, delayMs: 100 }])
    expect(await pidOf('dep')).toBeUndefined()
    await clock.advance(99)
    await settle(clock)
    expect(startsOf('dep')).toEqual([0])
    await clock.advance(1)
    await settle(clock)
    // It started again at 100 and failed in init: that is the second failure, with twice the wait.
    expect(startsOf('dep')).toEqual([0, 100])
    for (let i = 0; i < 3; i++) {
      await clock.advanceToNext()
      await settle(clock)
    }
    expect(startsOf('dep')).toEqual([0, 100, 300, 700, 1_100])
    expect(events.map((e) => [e.attempt, e.delayMs])).toEqual([
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 400],
      [5, 400],
    ])
    expect(String(events[1]!.reason)).toContain('the dependency is away')
    // Five failures with an intensity of one restart: backoff restarts do not spend it.
    expect(sys.isAlive(sup)).toBe(true)
    expect(startsOf('before')).toEqual([0])
    expect(startsOf('after')).toEqual([0])
  })

  it('starts over from initialMs once the child ran resetAfterMs, and keeps counting while it does not', async () => {
    const { clock, world, events, crash } = await start()
    world.away = true
    await crash('dep')
    await clock.advanceToNext()
    await settle(clock)
    expect(events.map((e) => e.attempt)).toEqual([1, 2])
    world.away = false
    await clock.advanceToNext()
    await settle(clock)
    // Up since t=300; a crash 500 ms later is not yet recovered: attempt 3.
    await clock.advance(500)
    await crash('dep')
    expect(events.at(-1)).toMatchObject({ attempt: 3, delayMs: 400 })
    await clock.advanceToNext()
    await settle(clock)
    // Up since t=1200; a crash 1000 ms later is a fresh failure.
    await clock.advance(1_000)
    await crash('dep')
    expect(events.at(-1)).toMatchObject({ attempt: 1, delayMs: 100 })
  })

  it('starts over when the child says it has recovered (resetBackoff), and never by time with resetAfterMs Infinity', async () => {
    const { clock, sys, sup, world, events, crash } = await start({ backoff: { resetAfterMs: Infinity } })
    world.away = true
    await crash('dep')
    await clock.advanceToNext()
    await settle(clock)
    world.away = false
    await clock.advanceToNext()
    await settle(clock)
    // Up for a long while, but only the child's word counts.
    await clock.advance(60_000)
    await crash('dep')
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3])
    await clock.advanceToNext()
    await settle(clock)
    resetBackoff(sys, sup, 'dep')
    resetBackoff(sys, sup, 'no-such-child')
    await settle(clock)
    await crash('dep')
    expect(events.at(-1)).toMatchObject({ attempt: 1, delayMs: 100 })
  })

  it('gives up after maxAttempts failures in a row, as when the intensity is exceeded', async () => {
    const { clock, sys, sup, world, events, crash } = await start({ backoff: { maxAttempts: 2 } })
    const down = new Promise<unknown>((resolve) => sys.monitor(sup, (d) => resolve(d.reason)))
    world.away = true
    await crash('dep')
    await clock.advanceToNext()
    await settle(clock)
    expect(sys.isAlive(sup)).toBe(true)
    await clock.advanceToNext()
    await settle(clock)
    expect(events.map((e) => [e.attempt, e.delayMs])).toEqual([
      [1, 100],
      [2, 200],
      [3, undefined],
    ])
    expect(await down).toBe('shutdown')
  })

  it('with maxAttempts 0, hands the first failure to the parent at once', async () => {
    const { sys, sup, events, crash } = await start({ backoff: { maxAttempts: 0 } })
    const down = new Promise<unknown>((resolve) => sys.monitor(sup, (d) => resolve(d.reason)))
    await crash('dep')
    expect(events).toEqual([{ child: 'dep', reason: expect.any(Error), attempt: 1, delayMs: undefined }])
    expect(await down).toBe('shutdown')
  })

  it('under restForOne, stops the children after it at once and starts them with it after the delay', async () => {
    const { clock, crash, startsOf, pidOf, restarts } = await start({ strategy: 'restForOne' })
    await clock.advance(50)
    await crash('dep')
    expect(await pidOf('after')).toBeUndefined()
    expect(await pidOf('before')).toBeDefined()
    await clock.advanceToNext()
    await settle(clock)
    expect(startsOf('dep')).toEqual([0, 150])
    expect(startsOf('after')).toEqual([0, 150])
    expect(startsOf('before')).toEqual([0])
    expect(restarts.map((r) => (r.type === 'restart' ? r.child : undefined))).toEqual(['dep', 'after'])
  })

  it('waits its first delay when its first start fails, while its siblings start', async () => {
    const { clock, sys, sup, events, startsOf, pidOf, world } = await start({ away: true })
    expect(sys.isAlive(sup)).toBe(true)
    expect(events).toEqual([{ child: 'dep', reason: expect.any(Error), attempt: 1, delayMs: 100 }])
    expect(startsOf('after')).toEqual([0])
    world.away = false
    await clock.advanceToNext()
    await settle(clock)
    expect(startsOf('dep')).toEqual([0, 100])
    expect(await pidOf('dep')).toBeDefined()
  })

  it('forgets a pending restart when the child is terminated, and stops its timer with the supervisor', async () => {
    const { clock, sys, sup, world, crash, startsOf } = await start()
    world.away = true
    await crash('dep')
    await sys.call(sup, { $sup: 'terminateChild', child: 'dep' })
    await clock.advance(1_000)
    await settle(clock)
    expect(startsOf('dep')).toEqual([0])
    expect((await whichChildren(sys, sup)).map((c) => c.id)).toEqual(['before', 'after'])
  })

  it('logs what onBackoff throws and restarts the child all the same', async () => {
    const { clock, crash, startsOf } = await start({
      backoff: {
        onBackoff: () => {
          throw new Error('a listener bug')
        },
      },
    })
    await crash('dep')
    await clock.advanceToNext()
    await settle(clock)
    expect(startsOf('dep')).toEqual([0, 100])
  })
})
