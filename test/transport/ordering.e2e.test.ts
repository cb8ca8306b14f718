/** 100,000 messages from one actor to another across processes arrive in the order they were sent. */
import { describe, expect, it } from 'vitest'
import { spawnNode } from '../support/spawn-node.ts'
import type { PidJson } from '../support/spawn-node.ts'

describe('ordering between two actors', () => {
  it('delivers 100,000 messages in order', async () => {
    const a = await spawnNode({ name: 'a@127.0.0.1' })
    const b = await spawnNode({ name: 'b@127.0.0.1' })
    await a.request('connect', { name: b.name, url: b.url })
    const count = 100_000
    const sink = await b.request<PidJson>('spawn', { behaviour: 'orderSink', args: { count, tag: 'order' } })
    await a.request('spawn', { behaviour: 'orderSender', args: { to: sink, count } })
    const done = await b.waitEvent((e) => e.kind === 'orderDone' && e['tag'] === 'order', 50_000)
    expect(done).toMatchObject({ received: count, inOrder: true })
  })
})
