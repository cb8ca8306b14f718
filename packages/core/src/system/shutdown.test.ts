import { describe, expect, it } from 'vitest'
import { createActorSystem } from './actor-system.ts'
import { resolveActorSystemOptions } from './system-options.ts'
import { createLogSink } from '../testing/log-sink.ts'
import { TestClock } from '../testing/test-clock.ts'
import type { ProcessCtx } from '../actor/process-function.ts'

describe('ActorSystem#shutdown', () => {
  it('stops top-level actors in reverse spawn order, reports a throwing terminate, and goes on', async () => {
    const sink = createLogSink('error')
    const sys = createActorSystem({ node: 'sd@test', clock: new TestClock(), creation: 1, logger: sink.logger })
    const stopped: string[] = []
    const make = (id: string, fail = false) =>
      sys.spawn({
        init: (_a, ctx) => { ctx.trapExit(true); return null },
        terminate: () => { stopped.push(id); if (fail) throw new Error(`${id} terminate failed`) },
      })
    make('first')
    make('second', true)
    make('third')
    await sys.whenIdle()
    await sys.shutdown()
    expect(stopped).toEqual(['third', 'second', 'first'])
    expect(sink.records.some((r) => r['msg'] === 'terminate threw; the exit goes on')).toBe(true)
    expect(sys.processes()).toEqual([])
  })

  it('is idempotent, and refuses to spawn afterwards with a clear error', async () => {
    const sys = createActorSystem({ node: 'sd@test', clock: new TestClock(), creation: 1 })
    sys.spawn(async (c: ProcessCtx) => { await c.receive() })
    const a = sys.shutdown()
    expect(sys.shutdown()).toBe(a)
    await a
    expect(() => sys.spawn(async () => {})).toThrow(expect.objectContaining({ code: 'COHORT_ERR_SYSTEM_STOPPED' }))
  })
})

describe('resolveActorSystemOptions', () => {
  it.each([
    [{ node: 'no-at-sign' }, /invalid option node: "no-at-sign"/],
    [{ messagesPerTurn: 0 }, /invalid option messagesPerTurn: 0 \(expected a positive integer\)/],
    [{ timeSliceMs: -1 }, /invalid option timeSliceMs: -1/],
    [{ strictMessages: 'yes' as never }, /invalid option strictMessages: "yes"/],
    [{ creation: 1.5 }, /invalid option creation: 1.5/],
  ])('names the option and the value: %j', (input, message) => {
    expect(() => resolveActorSystemOptions(input)).toThrow(message)
  })

  it('rejects a call with an invalid timeout, and waits out a call of 30 days', async () => {
    const clock = new TestClock()
    const sys = createActorSystem({ clock })
    await expect(sys.call('x', 1, -5)).rejects.toThrow(/invalid option timeoutMs: -5/)
    await expect(sys.call('x', 1, NaN)).rejects.toThrow(/invalid option timeoutMs: NaN/)
    // Longer than a Node timer holds (24.8 days): the system clock chains it, so it is taken.
    const silent = sys.spawn({ init: () => null, handleCall: () => ({ noreply: null }) })
    const thirtyDays = 30 * 24 * 3600 * 1000
    const call = sys.call(silent, 'anyone?', thirtyDays).catch((err: unknown) => err)
    await clock.advance(thirtyDays - 1)
    expect(clock.pending).toBe(1)
    await clock.advance(1)
    expect(await call).toMatchObject({ code: 'COHORT_ERR_CALL_TIMEOUT', timeoutMs: thirtyDays })
  })
})
