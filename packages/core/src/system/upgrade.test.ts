import { describe, expect, it } from 'vitest'
import { createActorSystem } from './actor-system.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import type { TraceRecord } from '../trace.ts'
import { TestClock } from '../testing/test-clock.ts'

const v1: ServerBehaviour<{ count: number }> = {
  init: () => ({ count: 0 }),
  handleCall: (req: string, _f, s) => (req === 'version' ? { reply: 1, state: s } : { reply: s, state: { count: s.count + 1 } }),
}

describe('ActorSystem#upgrade', () => {
  it('switches running actors to the new handlers at their next message, migrating state with codeChange', async () => {
    const sys = createActorSystem({ node: 'up@test', clock: new TestClock(), creation: 1 })
    const records: TraceRecord[] = []
    sys.trace((r) => r.type === 'codeChange' && records.push(r))
    sys.define('counter', v1)
    const pid = sys.spawn('counter')
    await sys.call(pid, 'bump')
    await sys.call(pid, 'bump')
    sys.upgrade('counter', {
      init: () => ({ total: 0 }),
      handleCall: (req: string, _f, s: { total: number }) => (req === 'version' ? { reply: 2, state: s } : { reply: s, state: { total: s.total + 1 } }),
      codeChange: (from, state: { count: number }) => ({ total: state.count, from }),
    }, { note: 'extra' })
    expect(await sys.call(pid, 'version')).toBe(2)
    expect(await sys.call(pid, 'bump')).toEqual({ total: 2, from: 1 })
    expect(records).toMatchObject([{ type: 'codeChange', fromVersion: 1, toVersion: 2, error: undefined }])
  })

  it('leaves the actor on the old version when codeChange throws, and reports the error', async () => {
    const sys = createActorSystem({ node: 'up@test', clock: new TestClock(), creation: 1 })
    const records: TraceRecord[] = []
    sys.trace((r) => r.type === 'codeChange' && records.push(r))
    sys.define('counter', v1)
    const pid = sys.spawn('counter')
    sys.upgrade('counter', { ...v1, handleCall: () => ({ reply: 'new', state: null }), codeChange: () => { throw new Error('cannot migrate') } })
    expect(await sys.call(pid, 'version')).toBe(1)
    expect(await sys.call(pid, 'version')).toBe(1)
    expect(records).toHaveLength(1)
    expect((records[0] as { error: Error }).error.message).toBe('cannot migrate')
    expect(sys.spawn('counter')).toBeDefined()
  })

  it('refuses to define a name twice and to upgrade an unknown name', () => {
    const sys = createActorSystem({ node: 'up@test', clock: new TestClock(), creation: 1 })
    sys.define('x', v1)
    expect(() => sys.define('x', v1)).toThrow(/already defined as "x"; use system.upgrade/)
    expect(() => sys.upgrade('y', v1)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_UNKNOWN_BEHAVIOUR' }))
    expect(() => sys.spawn('nope')).toThrow(/call system.define\("nope", behaviour\) first/)
  })
})
