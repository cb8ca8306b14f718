/**
 * A message changed after `send` (which the README forbids) is that message's fault alone: it is dropped with a
 * warning naming its sender, the messages around it arrive, and the connection, its links and monitors live on.
 */
import { describe, expect, it } from 'vitest'
import { logged, nextEvent, testNode } from './test-support/nodes.ts'

async function pair() {
  const a = await testNode('a')
  const b = await testNode('b')
  const got: unknown[] = []
  let wake: () => void = () => undefined
  const sink = b.node.system.spawn(async (ctx) => {
    for (;;) {
      got.push(await ctx.receive())
      wake()
    }
  })
  await a.node.connect({ name: b.node.name, url: b.node.url })
  const received = (n: number): Promise<void> =>
    new Promise((resolve) => {
      wake = () => {
        if (got.length >= n) resolve()
      }
      wake()
    })
  let downs = 0
  a.node.on('nodedown', () => downs++)
  return { a, b, sink, got, received, downs: () => downs }
}

describe('a message changed after send', () => {
  it('is dropped alone when it can no longer be encoded (a Symbol put in), and the process survives', async () => {
    const { a, sink, got, received, downs } = await pair()
    a.node.system.send(sink, { before: 1 })
    const m: Record<string, unknown> = { a: 1 }
    a.node.system.send(sink, m)
    m['t'] = Symbol('not serializable')
    a.node.system.send(sink, { after: 1 })
    await received(2)
    expect(got).toEqual([{ before: 1 }, { after: 1 }])
    expect(logged(a.log, 'message changed after send could not be encoded: dropped')).toHaveLength(1)
    expect(a.node.nodes()).toEqual(['b@127.0.0.1'])
    expect(downs()).toBe(0)
  })

  it('is dropped alone when it grew past what it weighed when sent, and the connection stays up', async () => {
    const { a, sink, got, received, downs } = await pair()
    const watcher = a.node.system.spawn(async (ctx) => {
      ctx.monitor(sink)
      await ctx.receive()
    })
    const m: Record<string, unknown> = { a: 1 }
    a.node.system.send(sink, m)
    m['blob'] = 'x'.repeat(20e6)
    a.node.system.send(sink, { after: 1 })
    await received(1)
    expect(got).toEqual([{ after: 1 }])
    const line = logged(a.log, 'message changed after send could not be encoded: dropped')[0]
    expect(line?.['pid']).toBeUndefined()
    expect(a.node.nodes()).toEqual(['b@127.0.0.1'])
    expect(a.node.system.isAlive(watcher)).toBe(true)
    expect(downs()).toBe(0)
    // Still the same connection: a call round-trips.
    const down = nextEvent(a.node, 'nodedown')
    a.node.disconnect('b@127.0.0.1')
    expect((await down)[1]).toBe('disconnect')
  })
})
