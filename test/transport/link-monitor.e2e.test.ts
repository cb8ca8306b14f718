/** Links and monitors across node processes: normal exits, crashes, and a SIGKILLed or frozen node. */
import { describe, expect, it } from 'vitest'
import { spawnNode, waitNodesUp } from '../support/spawn-node.ts'
import type { NodeProcess, PidJson } from '../support/spawn-node.ts'

const tickMs = 1000

async function pair(options: { tickMs: number } = { tickMs }): Promise<{ a: NodeProcess; b: NodeProcess; c: NodeProcess }> {
  const a = await spawnNode({ name: 'a@127.0.0.1', ...options })
  const b = await spawnNode({ name: 'b@127.0.0.1', ...options })
  const c = await spawnNode({ name: 'c@127.0.0.1', ...options })
  await b.request('connect', { name: a.name, url: a.url })
  await c.request('connect', { name: a.name, url: a.url })
  await waitNodesUp(b, [c.name])
  return { a, b, c }
}

describe('links and monitors across processes', () => {
  it('delivers Exit and Down with the real reason when a remote actor crashes', async () => {
    const { a, b } = await pair()
    const target = await b.request<PidJson>('spawn', { behaviour: 'echo' })
    await a.request('spawn', { behaviour: 'watcher', args: { target, link: true, tag: 'link' } })
    await a.request('spawn', { behaviour: 'watcher', args: { target, link: false, tag: 'monitor' } })
    // Round-trip a call so the link and monitor controls have reached b before the crash.
    await a.request('call', { to: target, request: 'sync' })
    await a.request('send', { to: target, msg: 'crash' })
    const exit = await a.waitEvent((e) => e.kind === 'exit' && e['tag'] === 'link')
    const down = await a.waitEvent((e) => e.kind === 'down' && e['tag'] === 'monitor')
    expect(exit['reason']).toContain('asked to crash')
    expect(down['reason']).toContain('asked to crash')
  })

  it('gives noconnection to links and monitors on every other node when a node is SIGKILLed', async () => {
    // A tick window far longer than the wait: the closed sockets must tell, not the silence. (With a 1 s window the
    // old bound of 1.5 s could neither tell the two apart nor hold on a loaded machine.)
    const slowTickMs = 30_000
    const { a, b, c } = await pair({ tickMs: slowTickMs })
    const target = await b.request<PidJson>('spawn', { behaviour: 'echo' })
    for (const n of [a, c]) {
      await n.request('spawn', { behaviour: 'watcher', args: { target, link: true, tag: 'link' } })
      await n.request('spawn', { behaviour: 'watcher', args: { target, link: false, tag: 'monitor' } })
      await n.request('call', { to: target, request: 'sync' })
    }
    const killedAt = Date.now()
    b.child.kill('SIGKILL')
    for (const n of [a, c]) {
      expect((await n.waitEvent((e) => e.kind === 'exit' && e['tag'] === 'link'))['reason']).toBe('noconnection')
      expect((await n.waitEvent((e) => e.kind === 'down' && e['tag'] === 'monitor'))['reason']).toBe('noconnection')
      expect((await n.waitEvent((e) => e.kind === 'nodedown' && e['node'] === b.name))['reason']).toBe('noconnection')
    }
    expect(Date.now() - killedAt).toBeLessThan(slowTickMs / 2)
  })

  it('detects a frozen node (SIGSTOP) by its silence within the tick window', async () => {
    const { a, b } = await pair()
    const target = await b.request<PidJson>('spawn', { behaviour: 'echo' })
    await a.request('spawn', { behaviour: 'watcher', args: { target, link: false, tag: 'monitor' } })
    await a.request('call', { to: target, request: 'sync' })
    const stoppedAt = Date.now()
    b.child.kill('SIGSTOP')
    try {
      expect((await a.waitEvent((e) => e.kind === 'down' && e['tag'] === 'monitor'))['reason']).toBe('noconnection')
      const elapsed = Date.now() - stoppedAt
      // Silence is checked every tickMs / 4, so the peer is down between tickMs and 1.25 × tickMs, plus scheduling:
      // the upper bound leaves room for a loaded CI machine, and only the tick can end a wait on an open socket.
      expect(elapsed).toBeGreaterThanOrEqual(tickMs - tickMs / 4)
      expect(elapsed).toBeLessThan(tickMs * 4)
    } finally {
      b.child.kill('SIGCONT')
    }
  })
})
