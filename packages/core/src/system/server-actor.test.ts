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
