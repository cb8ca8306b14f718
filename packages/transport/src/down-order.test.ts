/**
 * An actor's last messages arrive before its Down, however it is monitored (by pid, by name, or through a link), even
 * when the last message is large enough to travel in fragments: Erlang's guarantee, per pair of actors.
 */
import { Down, Exit } from '@cohort/core'
import type { Pid } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { testNode } from './test-support/nodes.ts'

type How = 'name' | 'pid' | 'link'

async function lastMessageThenSignal(size: number, how: How, trials: number): Promise<string[]> {
  const a = await testNode('a', { maxMessageBytes: 8 * 1024 * 1024 })
  const b = await testNode('b', { maxMessageBytes: 8 * 1024 * 1024 })
  await b.node.connect({ name: a.node.name, url: a.node.url })
  const orders: string[] = []
  for (let t = 0; t < trials; t++) {
    const name = `big${t}`
    const big = a.node.system.spawn(async (ctx) => {
      const { w } = (await ctx.receive()) as { w: Pid }
      ctx.send(w, { big: Buffer.alloc(size, t) })
      ctx.exit('normal')
    })
    a.node.system.register(name, big)
    const seen = await new Promise<string>((resolve) => {
      b.node.system.spawn(async (ctx) => {
        if (how === 'name') ctx.monitor({ name, node: a.node.name })
        else if (how === 'pid') ctx.monitor(big)
        else {
          ctx.trapExit(true)
          ctx.link(big)
        }
        // Sent after the monitor or link on the same connection, so big is watched before it acts.
        ctx.send({ name, node: a.node.name }, { w: ctx.self })
        const first = await ctx.receive()
        const second = await ctx.receive()
        const kind = (m: unknown): string => (m instanceof Down ? 'down' : m instanceof Exit ? 'exit' : 'message')
        resolve(`${kind(first)},${kind(second)}`)
      })
    })
    orders.push(seen)
  }
  return orders
}

describe('the Down of an actor that sent a large message and exited', () => {
  for (const how of ['name', 'pid', 'link'] as const) {
    it(`comes after that message when monitored by ${how} (300 KiB and 3 MiB)`, async () => {
      const signal = how === 'link' ? 'exit' : 'down'
      expect(await lastMessageThenSignal(300 * 1024, how, 5)).toEqual(Array(5).fill(`message,${signal}`))
      expect(await lastMessageThenSignal(3 * 1024 * 1024, how, 2)).toEqual(Array(2).fill(`message,${signal}`))
    })
  }
})
