import { describe, expect, it } from 'vitest'
import { createActorSystem } from '../system/actor-system.ts'
import type { ActorSystem } from '../system/actor-system.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import type { Pid } from '../pid.ts'
import type { TraceRecord } from '../trace.ts'
import { TestClock } from '../testing/test-clock.ts'
import { supervisor } from './supervisor.ts'
import { whichChildren, countChildren } from './dynamic-supervisor.ts'
import type { RestartType, SupervisorStrategy } from './child-spec.ts'

/** A worker that records its lifecycle; 'crash' throws, 'stop' ends normally, 'shutdown' ends with shutdown. */
function worker(id: string, events: string[], opts: { trap?: boolean; slowStopMs?: number } = {}): ServerBehaviour {
  return {
    name: id,
    init(_args, ctx) {
      if (opts.trap === true) ctx.trapExit(true)
      events.push(`start ${id}`)
      return null
    },
    handleCast(req: string) {
      if (req === 'crash') throw new Error(`${id} crashed`)
      if (req === 'stop') return { stop: 'normal' }
      if (req === 'shutdown') return { stop: 'shutdown' }
      return null
    },
    handleCall: (_r, _f, s) => ({ reply: 'ok', state: s }),
    async terminate(reason) {
      events.push(`stop ${id} ${typeof reason === 'string' ? reason : 'error'}`)
      if (opts.slowStopMs !== undefined) await new Promise(() => {}) // never finishes: must be killed
    },
  }
}

async function setup(strategy: SupervisorStrategy, restart: RestartType, maxRestarts = 3) {
  const clock = new TestClock()
  const sys = createActorSystem({ node: 'sup@test', clock, creation: 1 })
  const events: string[] = []
  const traces: TraceRecord[] = []
  sys.trace((r) => (r.type === 'restart' || r.type === 'exit') && traces.push(r))
  const sup = await sys.start(
    supervisor({
      strategy,
      intensity: { maxRestarts, withinMs: 1000 },
      children: ['a', 'b', 'c'].map((id) => ({ id, start: worker(id, events, { trap: true }), restart })),
    }),
  )
  events.length = 0
  return { sys, clock, sup, events, traces }
}

async function child(sys: ActorSystem, sup: Pid, id: string): Promise<Pid | undefined> {
  return (await whichChildren(sys, sup)).find((c) => c.id === id)?.pid
}

async function idle(sys: ActorSystem): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await sys.whenIdle()
    await new Promise((r) => setImmediate(r))
  }
}

// [strategy, restart type, how b ends, which children restart (in order)]
const table: [SupervisorStrategy, RestartType, 'crash' | 'stop' | 'shutdown', string[]][] = [
  ['oneForOne', 'permanent', 'crash', ['b']],
  ['oneForOne', 'permanent', 'stop', ['b']],
  ['oneForOne', 'transient', 'crash', ['b']],
  ['oneForOne', 'transient', 'stop', []],
  ['oneForOne', 'transient', 'shutdown', []],
  ['oneForOne', 'temporary', 'crash', []],
  ['oneForAll', 'permanent', 'crash', ['a', 'b', 'c']],
  ['oneForAll', 'transient', 'crash', ['a', 'b', 'c']],
  ['oneForAll', 'transient', 'stop', []],
  ['oneForAll', 'temporary', 'crash', []],
  ['restForOne', 'permanent', 'crash', ['b', 'c']],
  ['restForOne', 'transient', 'crash', ['b', 'c']],
  ['restForOne', 'transient', 'stop', []],
  ['restForOne', 'temporary', 'crash', []],
]

describe('supervisor strategies × restart types', () => {
  it.each(table)('%s with %s children: b ends by %s → restarts %j', async (strategy, restart, how, restarted) => {
    const { sys, sup, events } = await setup(strategy, restart)
    const before = { a: await child(sys, sup, 'a'), b: await child(sys, sup, 'b'), c: await child(sys, sup, 'c') }
    sys.cast(before.b!, how)
    await idle(sys)
    const starts = events.filter((e) => e.startsWith('start')).map((e) => e.slice(6))
    expect(starts).toEqual(restarted)
    // Others stopped by the strategy were stopped in reverse start order, before any restart.
    if (strategy !== 'oneForOne' && restarted.length > 0) {
      const stops = events.filter((e) => e.startsWith('stop') && !e.startsWith('stop b'))
      const expectedStops = strategy === 'oneForAll' ? ['stop c shutdown', 'stop a shutdown'] : ['stop c shutdown']
      expect(stops).toEqual(expectedStops)
    }
    for (const id of ['a', 'b', 'c'] as const) {
      const now = await child(sys, sup, id)
      if (restarted.includes(id)) expect(now?.equals(before[id]!)).toBe(false)
      else if (id !== 'b') expect(now?.equals(before[id]!)).toBe(true)
    }
    if (restart === 'temporary') expect((await whichChildren(sys, sup)).map((c) => c.id)).toEqual(['a', 'c'])
    expect(sys.isAlive(sup)).toBe(true)
  })
})

describe('supervisor intensity', () => {
  it('exits with shutdown after more than maxRestarts within the window, stopping children in reverse', async () => {
    const { sys, sup, events } = await setup('oneForOne', 'permanent', 2)
    const exits: unknown[] = []
    sys.monitor(sup, (d) => exits.push(d.reason))
    for (let i = 0; i < 3; i++) {
      sys.cast((await child(sys, sup, 'a'))!, 'crash')
      await idle(sys)
    }
    expect(exits).toEqual(['shutdown'])
    expect(events.slice(-2)).toEqual(['stop c shutdown', 'stop b shutdown'])
  })

  it('forgets restarts older than withinMs', async () => {
    const { sys, sup, clock } = await setup('oneForOne', 'permanent', 1)
    for (let i = 0; i < 3; i++) {
      sys.cast((await child(sys, sup, 'a'))!, 'crash')
      await idle(sys)
      await clock.advance(1000)
    }
    expect(sys.isAlive(sup)).toBe(true)
  })

  it('escalates through two levels: the top supervisor restarts the middle one, then gives up itself', async () => {
    const clock = new TestClock()
    const sys = createActorSystem({ node: 'sup@test', clock, creation: 1 })
    const events: string[] = []
    const restarts: TraceRecord[] = []
    sys.trace((r) => r.type === 'restart' && restarts.push(r))
    const middle = supervisor({ name: 'middle', intensity: { maxRestarts: 0, withinMs: 1000 }, children: [{ id: 'w', start: worker('w', events) }] })
    const top = await sys.start(supervisor({ name: 'top', intensity: { maxRestarts: 1, withinMs: 1000 }, children: [{ id: 'middle', start: middle }] }))
    const topDown: unknown[] = []
    sys.monitor(top, (d) => topDown.push(d.reason))
    const crashWorker = async (): Promise<void> => {
      const mid = (await whichChildren(sys, top))[0]!.pid!
      const w = (await whichChildren(sys, mid))[0]!.pid!
      sys.cast(w, 'crash')
      await idle(sys)
    }
    await crashWorker() // middle gives up (0 restarts allowed) → top restarts middle
    expect(restarts.map((r) => (r as { child: string }).child)).toEqual(['middle'])
    expect(sys.isAlive(top)).toBe(true)
    await crashWorker() // middle gives up again → top exceeds 1 restart → top exits
    expect(topDown).toEqual(['shutdown'])
    expect(sys.processes()).toEqual([])
  })
})

describe('supervisor start and stop', () => {
  it('starts children in order and stops them in reverse order', async () => {
    const clock = new TestClock()
    const sys = createActorSystem({ node: 'sup@test', clock, creation: 1 })
    const events: string[] = []
    await sys.start(supervisor({ children: ['a', 'b', 'c'].map((id) => ({ id, start: worker(id, events, { trap: true }) })) }))
    await sys.shutdown()
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop c shutdown', 'stop b shutdown', 'stop a shutdown'])
  })

  it("fails to start with the failing child's reason, stopping the children already started", async () => {
    const clock = new TestClock()
    const sys = createActorSystem({ node: 'sup@test', clock, creation: 1 })
    const events: string[] = []
    const failing: ServerBehaviour = { init: () => ({ stop: 'no database' }) }
    const error = await sys
      .start(supervisor({ children: [{ id: 'a', start: worker('a', events, { trap: true }) }, { id: 'db', start: failing }, { id: 'c', start: worker('c', events) }] }))
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'COHORT_ERR_START_FAILED', reason: { shutdown: { failedToStartChild: 'db', reason: 'no database' } } })
    expect(events).toEqual(['start a', 'stop a shutdown'])
  })

  it('kills a child that does not stop within its shutdown time', async () => {
    const clock = new TestClock()
    const sys = createActorSystem({ node: 'sup@test', clock, creation: 1 })
    const events: string[] = []
    const exits: TraceRecord[] = []
    sys.trace((r) => r.type === 'exit' && exits.push(r))
    const sup = await sys.start(supervisor({ children: [{ id: 'slow', start: worker('slow', events, { trap: true, slowStopMs: 1 }), shutdown: 100 }] }))
    const slow = (await whichChildren(sys, sup))[0]!.pid!
    const stopped = sys.shutdown()
    await idle(sys)
    expect(sys.isAlive(slow)).toBe(true)
    await clock.advance(99)
    expect(sys.isAlive(slow)).toBe(true)
    await clock.advance(1)
    await stopped
    expect(exits.find((r) => (r as { pid: Pid }).pid.equals(slow))).toMatchObject({ reason: 'killed' })
  })

  it('brutalKill kills at once without calling terminate', async () => {
    const clock = new TestClock()
    const sys = createActorSystem({ node: 'sup@test', clock, creation: 1 })
    const events: string[] = []
    const sup = await sys.start(supervisor({ children: [{ id: 'w', start: worker('w', events, { trap: true }), shutdown: 'brutalKill' }] }))
    expect(await countChildren(sys, sup)).toEqual({ specs: 1, active: 1, supervisors: 0, workers: 1 })
    await sys.shutdown()
    expect(events).toEqual(['start w'])
  })

  it('validates options, naming the field', () => {
    expect(() => supervisor({ strategy: 'oneForSome' as never })).toThrow(/invalid option strategy: "oneForSome"/)
    expect(() => supervisor({ intensity: { maxRestarts: -1, withinMs: 5 } })).toThrow(/intensity\.maxRestarts/)
    expect(() => supervisor({ children: [{ id: 'x', start: 42 as never }] })).toThrow(/children\[0\]\.start/)
    expect(() => supervisor({ children: [{ id: 'x', start: () => {}, shutdown: -5 }] })).toThrow(/children\[0\]\.shutdown/)
    expect(() => supervisor({ children: [{ id: 'x', start: () => {} }, { id: 'x', start: () => {} }] })).toThrow(/children\[1\]\.id/)
  })
})

describe('supervisor restarts, as monitorRestarts and stats() report them', () => {
  it('tells monitorRestarts listeners and counts each restart, with tracing off', async () => {
    const sys = createActorSystem({ node: 'sup@test', clock: new TestClock(), creation: 1 })
    const events: string[] = []
    const sup = await sys.start(
      supervisor({ strategy: 'restForOne', children: ['a', 'b', 'c'].map((id) => ({ id, start: worker(id, events) })) }),
    )
    const seen: string[] = []
    const stop = sys.monitorRestarts((e) => seen.push(`${e.child} by ${String(e.supervisor.equals(sup))} after ${String(e.reason)}`))
    expect(sys.stats().restarts).toBe(0)
    sys.cast((await child(sys, sup, 'b'))!, 'crash')
    await idle(sys)
    expect(seen).toEqual(['b by true after Error: b crashed', 'c by true after Error: b crashed'])
    expect(sys.stats().restarts).toBe(2)
    stop()
    sys.cast((await child(sys, sup, 'a'))!, 'crash')
    await idle(sys)
    expect(seen).toHaveLength(2)
    expect(sys.stats().restarts).toBe(5)
  })
})
