/** A node killed and started again under the same name rejoins as a new incarnation. */
import { describe, expect, it } from 'vitest'
import { spawnNode, waitNodesUp } from '../support/spawn-node.ts'
import type { PidJson } from '../support/spawn-node.ts'

describe('restart as a new incarnation', () => {
  it('gets nodeup again, with a new creation, and old pids are not confused with new ones', async () => {
    const a = await spawnNode({ name: 'a@127.0.0.1', tickMs: 1000 })
    const b1 = await spawnNode({ name: 'b@127.0.0.1', tickMs: 1000 })
    await b1.request('connect', { name: a.name, url: a.url })
    await waitNodesUp(a, [b1.name])
    const oldPid = await b1.request<PidJson>('spawn', { behaviour: 'echo' })
    expect(oldPid.creation).toBe(b1.creation)

    b1.child.kill('SIGKILL')
    await a.waitEvent((e) => e.kind === 'nodedown' && e['node'] === b1.name)
    const mark = a.events.length

    const b2 = await spawnNode({ name: 'b@127.0.0.1', tickMs: 1000 })
    expect(b2.creation).not.toBe(b1.creation)
    await b2.request('connect', { name: a.name, url: a.url })
    await a.waitEvent((e, i) => i >= mark && e.kind === 'nodeup' && e['node'] === b2.name)
    expect(await a.request('nodes')).toEqual([b2.name])

    const newPid = await b2.request<PidJson>('spawn', { behaviour: 'echo' })
    expect(await a.request('call', { to: newPid, request: 'new' })).toBe('new')
    // The old incarnation's pid does not reach the new incarnation's actor with the same id.
    await expect(a.request('call', { to: oldPid, request: 'old', timeoutMs: 2000 })).rejects.toMatchObject({
      code: expect.stringMatching(/COHORT_ERR_(NOPROC|CALL_TIMEOUT)/),
    })
  })
})
