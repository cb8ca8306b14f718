import { describe, expect, it } from 'vitest'
import { createActorSystem } from '../system/actor-system.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import { TestClock } from '../testing/test-clock.ts'
import { countChildren, dynamicSupervisor, startChild, terminateChild, whichChildren } from './dynamic-supervisor.ts'

const worker: ServerBehaviour<string, string> = {
  init: (name) => name,
  handleCall: (_req: unknown, _from, name) => ({ reply: name, state: name }),
  handleCast: (req: string, name) => {
    if (req === 'crash') throw new Error(`${name} crashed`)
    return name
  },
}

async function settled(sys: ReturnType<typeof createActorSystem>): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await sys.whenIdle()
    await new Promise((r) => setImmediate(r))
  }
}

describe('dynamicSupervisor', () => {
  it('starts children at run time, counts them, and terminates one by pid or id', async () => {
    const sys = createActorSystem({ node: 'dyn@test', clock: new TestClock(), creation: 1 })
    const sup = await sys.start(dynamicSupervisor({ name: 'rooms' }), undefined, { name: 'rooms' })
    const lobby = await startChild(sys, 'rooms', { id: 'lobby', start: worker, args: 'lobby' })
    const games = await startChild(sys, sup, { start: worker, args: 'games', restart: 'temporary' })
    expect(await sys.call(lobby, 'name?')).toBe('lobby')
    expect(await countChildren(sys, sup)).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 })
    expect((await whichChildren(sys, sup)).map((c) => [c.id, c.restart])).toEqual([['lobby', 'permanent'], ['child0', 'temporary']])
    expect(await terminateChild(sys, sup, games)).toBe(true)
    expect(sys.isAlive(games)).toBe(false)
    expect(await terminateChild(sys, sup, 'lobby')).toBe(true)
    expect(await terminateChild(sys, sup, 'lobby')).toBe(false)
    expect(await countChildren(sys, sup)).toEqual({ specs: 0, active: 0, supervisors: 0, workers: 0 })
  })

  it('restarts a permanent child that crashes and forgets a temporary one', async () => {
    const sys = createActorSystem({ node: 'dyn@test', clock: new TestClock(), creation: 1 })
    const sup = await sys.start(dynamicSupervisor())
    const permanent = await startChild(sys, sup, { id: 'p', start: worker, args: 'p' })
    const temporary = await startChild(sys, sup, { id: 't', start: worker, args: 't', restart: 'temporary' })
    sys.cast(permanent, 'crash')
    sys.cast(temporary, 'crash')
    await settled(sys)
    const children = await whichChildren(sys, sup)
    expect(children.map((c) => c.id)).toEqual(['p'])
    expect(children[0]!.pid?.equals(permanent)).toBe(false)
    expect(await sys.call(children[0]!.pid!, 'name?')).toBe('p')
  })

  it('refuses children beyond maxChildren, a duplicate id, and a child whose init fails, with a clear error', async () => {
    const sys = createActorSystem({ node: 'dyn@test', clock: new TestClock(), creation: 1 })
    const sup = await sys.start(dynamicSupervisor({ maxChildren: 1 }))
    await startChild(sys, sup, { id: 'only', start: worker, args: 'only' })
    await expect(startChild(sys, sup, { start: worker, args: 'more' })).rejects.toMatchObject({ code: 'COHORT_ERR_START_FAILED', message: 'startChild failed: maxChildren' })
    const roomy = await sys.start(dynamicSupervisor())
    await startChild(sys, roomy, { id: 'x', start: worker, args: 'x' })
    await expect(startChild(sys, roomy, { id: 'x', start: worker, args: 'x' })).rejects.toThrow(/a child with id "x" exists/)
    await expect(startChild(sys, roomy, { start: { init: () => ({ stop: 'no' }) } })).rejects.toThrow(/startChild failed: no/)
    await expect(startChild(sys, roomy, { start: 7 as never })).rejects.toThrow(/invalid option spec\.start: 7/)
    expect(() => dynamicSupervisor({ maxChildren: -1 })).toThrow(/invalid option maxChildren: -1/)
  })
})
