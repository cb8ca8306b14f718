/** A server's reply that cannot be sent ends that server with the error; it never escapes the scheduler's turn. */
import { describe, expect, it } from 'vitest'
import { createActorSystem } from './actor-system.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import { TestClock } from '../testing/test-clock.ts'

class Session {
  readonly id: number
  constructor(id: number) {
    this.id = id
  }
}

describe('a reply that cannot be sent', () => {
  it('ends the replying server with NotSerializableError and the caller hears why, sync or async', async () => {
    const sys = createActorSystem({ node: 'test@local', clock: new TestClock(), strictMessages: true, creation: 1 })
    const sync: ServerBehaviour<null, void> = { init: () => null, handleCall: (_req: unknown, _from, state) => ({ reply: new Session(1), state }) }
    const later: ServerBehaviour<null, void> = { init: () => null, handleCall: async (_req: unknown, _from, state) => ({ reply: new Session(2), state }) }
    for (const behaviour of [sync, later]) {
      const pid = await sys.start(behaviour)
      await expect(sys.call(pid, 'who')).rejects.toMatchObject({
        code: 'COHORT_ERR_CALLEE_EXITED',
        message: expect.stringContaining('an instance of class Session'),
      })
      expect(sys.isAlive(pid)).toBe(false)
    }
    // The system goes on.
    const echo = await sys.start({ init: () => null, handleCall: (req: string, _from: unknown, state: null) => ({ reply: req, state }) })
    expect(await sys.call(echo, 'still here')).toBe('still here')
    await sys.shutdown()
  })
})

describe('handleInfo', () => {
  /** A behaviour written as an object whose methods use `this`, as users write them. */
  function recorder(seen: unknown[]) {
    return {
      seen,
      note(msg: unknown): void {
        this.seen.push(msg)
      },
      init: () => 0,
      handleInfo(msg: unknown, state: number) {
        this.note(msg)
        if (msg === 'quiet') return { noreply: state + 100 }
        if (msg === 'later') return Promise.resolve(state + 1000)
        if (msg === 'boom') throw new Error('boom')
        if (msg === 'stop') return { stop: 'normal', state }
        return state + 1
      },
      handleCall(req: unknown, _from: unknown, state: number) {
        return { reply: state, state }
      },
    } satisfies ServerBehaviour<number, void> & { seen: unknown[]; note(msg: unknown): void }
  }

  it('is called on its behaviour, and its state, { noreply }, promise and { stop } results all apply', async () => {
    const sys = createActorSystem({ node: 'test@local', creation: 1 })
    const seen: unknown[] = []
    const pid = await sys.start(recorder(seen))
    sys.send(pid, 'one')
    sys.send(pid, 'quiet')
    sys.send(pid, 'later')
    // A message with a `$cohort` tag that is neither a call nor a cast is the behaviour's, as any other.
    sys.send(pid, { $cohort: 'mine', n: 1 })
    expect(await sys.call(pid, 'state')).toBe(1 + 100 + 1000 + 1)
    expect(seen).toEqual(['one', 'quiet', 'later', { $cohort: 'mine', n: 1 }])
    const down = new Promise((resolve) => sys.monitor(pid, (d) => resolve(d.reason)))
    sys.send(pid, 'stop')
    expect(await down).toBe('normal')
    await sys.shutdown()
  })

  it('that throws ends its actor with the error, and the node goes on', async () => {
    const sys = createActorSystem({ node: 'test@local', creation: 1 })
    const pid = await sys.start(recorder([]))
    const down = new Promise((resolve) => sys.monitor(pid, (d) => resolve(d.reason)))
    sys.send(pid, 'boom')
    expect(await down).toMatchObject({ message: 'boom' })
    const other = await sys.start(recorder([]))
    sys.send(other, 'one')
    expect(await sys.call(other, 'state')).toBe(1)
    await sys.shutdown()
  })
})
