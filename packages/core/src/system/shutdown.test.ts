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

  it('rejects a call with an invalid timeout', async () => {
    const sys = createActorSystem({ clock: new TestClock() })
    await expect(sys.call('x', 1, -5)).rejects.toThrow(/invalid option timeoutMs: -5/)
  })
})
