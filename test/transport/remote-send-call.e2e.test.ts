/** Remote send and call between two node processes, by pid and by registered name. */
import { describe, expect, it } from 'vitest'
import { spawnNode, waitNodesUp } from '../support/spawn-node.ts'
import type { PidJson } from '../support/spawn-node.ts'

describe('remote send and call across processes', () => {
  it('calls a pid and a registered name on another node, and delivers sends', async () => {
    const a = await spawnNode({ name: 'a@127.0.0.1' })
    const b = await spawnNode({ name: 'b@127.0.0.1' })
    await a.request('connect', { name: b.name, url: b.url })
    await waitNodesUp(b, [a.name])
    expect(await a.request('nodes')).toEqual([b.name])

    const pid = await b.request<PidJson>('spawn', { behaviour: 'echo' })
    expect(pid.node).toBe(b.name)
    expect(await a.request('call', { to: pid, request: { hello: [1, 2, 3] } })).toEqual({ hello: [1, 2, 3] })
    expect(await a.request('call', { to: { name: 'echo', node: b.name }, request: 'by name' })).toBe('by name')

    // A send from a to b's echo, which sends back to a's orderSink: both directions carry plain sends.
    const sink = await a.request<PidJson>('spawn', { behaviour: 'orderSink', args: { count: 1, tag: 'reply' } })
    await a.request('send', { to: pid, msg: { replyTo: sink, body: 'x' } })
    // echo replies with { echo: 'x' }: the sink sees one message (seq undefined, so out of order, but it arrived).
    const done = await a.waitEvent((e) => e.kind === 'orderDone' && e['tag'] === 'reply')
    expect(done['received']).toBe(1)
  })

  it('rejects a call to a node that is not known as unreachable', async () => {
    const a = await spawnNode({ name: 'a@127.0.0.1' })
    await expect(a.request('call', { to: { node: 'ghost@127.0.0.1', id: 1, creation: 1 }, request: 'x', timeoutMs: 2000 })).rejects.toMatchObject({
      code: expect.stringMatching(/COHORT_ERR_(NOCONNECTION|CALL_TIMEOUT)/),
    })
  })
})
