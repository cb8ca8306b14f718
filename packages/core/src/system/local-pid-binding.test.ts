import { describe, expect, it } from 'vitest'
import { createActorSystem } from './actor-system.ts'
import { Pid } from '../pid.ts'
import type { TraceRecord } from '../trace.ts'

/** A server that records what it is sent and stops on 'stop'. */
function recorder(got: unknown[]) {
  return {
    name: 'recorder',
    init: () => null,
    handleInfo: (msg: unknown, state: null) => {
      if (msg === 'stop') return { stop: 'normal' as const, state }
      got.push(msg)
      return state
    },
  }
}

function deadLetters(sys: ReturnType<typeof createActorSystem>): unknown[] {
  const dead: unknown[] = []
  sys.trace((r: TraceRecord) => r.type === 'deadLetter' && dead.push(r.msg))
  return dead
}

describe('local sends through the pid object an actor was spawned with', () => {
  it('deliver through that object and through an equal one alike, and neither once the actor is gone', async () => {
    const sys = createActorSystem({ node: 'a@local', creation: 1 })
    const got: unknown[] = []
    const dead = deadLetters(sys)
    const pid = sys.spawn(recorder(got))
    const copy = new Pid(pid.node, pid.id, pid.creation)
    sys.send(pid, 1)
    sys.send(copy, 2)
    await sys.whenIdle()
    expect(got).toEqual([1, 2])
    sys.send(pid, 'stop')
    await sys.whenIdle()
    sys.send(pid, 3)
    sys.send(copy, 4)
    await sys.whenIdle()
    expect(got).toEqual([1, 2])
    expect(dead).toEqual([3, 4])
  })

  it('do not reach an actor of another system in the process that has the same node name but another incarnation', async () => {
    const first = createActorSystem({ node: 'same@local', creation: 1 })
    const second = createActorSystem({ node: 'same@local', creation: 2 })
    const got: unknown[] = []
    const dead = deadLetters(second)
    const pid = first.spawn(recorder(got))
    second.send(pid, 'astray')
    await Promise.all([first.whenIdle(), second.whenIdle()])
    expect(got).toEqual([])
    expect(dead).toEqual(['astray'])
  })
})

describe('local sends with no tracer (the inlined path)', () => {
  it('do not reach an actor of another system in the process, of the same node name and incarnation or not', async () => {
    for (const [node, creation] of [['same@local', 1], ['other@local', 2]] as const) {
      const first = createActorSystem({ node: 'same@local', creation: 1 })
      const second = createActorSystem({ node, creation })
      const got: unknown[] = []
      const pid = first.spawn(recorder(got))
      second.send(pid, 'astray')
      first.send(pid, 'home')
      await Promise.all([first.whenIdle(), second.whenIdle()])
      expect(got).toEqual(['home'])
      expect(second.stats().deadLetters).toBe(1)
      await Promise.all([first.shutdown(), second.shutdown()])
    }
  })
})
