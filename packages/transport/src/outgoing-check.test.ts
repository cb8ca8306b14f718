/**
 * Remote messages arrive as they were sent, or the send throws COHORT_ERR_NOT_SERIALIZABLE: every value a first-day
 * user reached for (a function in an object, a class instance, a Promise, a symbol, a cycle, 5,000 levels of nesting,
 * a JSON-parsed `__proto__` key) is refused by default, through a pid, a name and a call, small and
 * large; `checkMessages: false` is the documented opt-out.
 */
import { NotSerializableError } from '@cohort/core'
import type { Pid } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { sizeBound } from './wire/size-bound.ts'
import { testNode } from './test-support/nodes.ts'
import type { TestNode } from './test-support/nodes.ts'

class User {
  readonly id: number
  constructor(id: number) {
    this.id = id
  }
}

function deep(levels: number): unknown {
  let value: unknown = 'bottom'
  for (let i = 0; i < levels; i++) value = { next: value }
  return value
}

function cyclic(): unknown {
  const a: Record<string, unknown> = { name: 'a' }
  a['self'] = a
  return a
}

const BAD: Array<[string, () => unknown, string]> = [
  ['a function in an object', () => ({ text: 'x', fn: () => 1 }), 'message.fn is a function'],
  ['a bare function', () => () => 1, 'message is a function'],
  ['a class instance', () => new User(1), 'an instance of class User'],
  ['a Promise', () => ({ p: Promise.resolve(1) }), 'an instance of class Promise'],
  ['a symbol', () => ({ s: Symbol('x') }), 'a symbol'],
  ['a JSON-parsed __proto__ key', () => JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as unknown, '"__proto__" key'],
  ['a cycle', cyclic, 'a cycle'],
  ['5,000 levels of nesting', () => deep(5_000), 'nested deeper than 256 levels'],
  ['an Array subclass', () => ({ list: new (class Items extends Array<number> {})() }), 'an instance of class Items'],
  ['a large object with a function at the end', () => ({ body: 'x'.repeat(200_000), fn: () => 1 }), 'message.fn'],
]

/** Two connected nodes, `b` running a sink that records what it receives, registered as `sink`. */
async function pair(options: { checkMessages?: boolean } = {}): Promise<{ a: TestNode; b: TestNode; sink: Pid; got: unknown[] }> {
  const a = await testNode('a', options)
  const b = await testNode('b', options)
  const got: unknown[] = []
  const waiting: Array<() => void> = []
  const sink = b.node.system.spawn(async (ctx) => {
    for (;;) {
      const m = await ctx.receive()
      if (typeof m === 'object' && m !== null && (m as { $cohort?: unknown }).$cohort === 'call') {
        const call = m as { from: never; request: unknown }
        got.push(call.request)
        ctx.reply(call.from, 'stored')
      } else got.push(m)
      waiting.splice(0).forEach((w) => w())
    }
  })
  b.node.system.register('sink', sink)
  await a.node.connect({ name: b.node.name, url: b.node.url })
  return { a, b, sink, got }
}

describe('outgoing messages are checked by default', () => {
  it.each(BAD)('send to a pid refuses %s', async (_label, make, text) => {
    const { a, sink, got } = await pair()
    let thrown: unknown
    try {
      a.node.system.send(sink, make())
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(NotSerializableError)
    expect((thrown as NotSerializableError).code).toBe('COHORT_ERR_NOT_SERIALIZABLE')
    expect((thrown as Error).message).toContain(text)
    // The connection is unharmed: the next message arrives.
    expect(await a.node.system.call(sink, 'after')).toBe('stored')
    expect(got).toEqual(['after'])
  })

  it.each(BAD)('send to a name and call refuse %s', async (_label, make) => {
    const { a, b, got } = await pair()
    const to = { name: 'sink', node: b.node.name }
    expect(() => a.node.system.send(to, make())).toThrow(NotSerializableError)
    await expect(a.node.system.call(to, make())).rejects.toMatchObject({ code: 'COHORT_ERR_NOT_SERIALIZABLE' })
    expect(await a.node.system.call(to, 'after')).toBe('stored')
    expect(got).toEqual(['after'])
  })

  it('lets plain data through unchanged, small and large', async () => {
    const { a, sink, got } = await pair()
    const small = { text: 'x', at: new Date(0), n: [1, 2, { deep: null }], none: undefined }
    const large = { body: 'y'.repeat(300_000), set: new Set([1, 2]), map: new Map([['k', 1n]]), err: new Error('e') }
    a.node.system.send(sink, small)
    a.node.system.send(sink, large)
    expect(await a.node.system.call(sink, 'done')).toBe('stored')
    expect(got[0]).toEqual(small)
    expect(got[1]).toMatchObject({ body: large.body, set: large.set, map: large.map })
  })

  it('checkMessages: false lets the codec change what it can encode, and still refuses what it cannot', async () => {
    const { a, sink, got } = await pair({ checkMessages: false })
    // A function cannot be encoded at all: the codec refuses it with the same error, rather than write nil.
    expect(() => a.node.system.send(sink, { text: 'x', fn: () => 1 })).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_SERIALIZABLE' }))
    // A class instance can, as a plain object: unchecked, it arrives changed.
    expect(await a.node.system.call(sink, new User(1))).toBe('stored')
    expect(got).toEqual([{ id: 1 }])
  })

  it('a reply that cannot cross ends the replying actor with the error, and the caller hears why', async () => {
    const a = await testNode('a')
    const b = await testNode('b')
    const server = b.node.system.spawn({
      init: () => null,
      handleCall: (_req: unknown, _from: unknown, state: null) => ({ reply: new User(7), state }),
    })
    await a.node.connect({ name: b.node.name, url: b.node.url })
    const failed = await a.node.system.call(server, 'who').then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(failed).toMatchObject({ code: 'COHORT_ERR_CALLEE_EXITED' })
    expect(String((failed as Error).message)).toContain('an instance of class User')
    // The node and the connection are unharmed.
    expect(a.node.nodes()).toEqual([b.node.name])
  })

  it('leaves symbol-keyed properties out, as structuredClone does, and sends the rest', async () => {
    const { a, sink, got } = await pair()
    a.node.system.send(sink, { [Symbol('tag')]: 'local only', a: 1 })
    expect(await a.node.system.call(sink, 'done')).toBe('stored')
    expect(got[0]).toEqual({ a: 1 })
    expect(Object.getOwnPropertySymbols(got[0])).toEqual([])
  })

  it('the size walk of small messages accepts none of them', () => {
    for (const [label, make] of BAD) expect(sizeBound(make(), 64 * 1024), label).toBe(-1)
  })
})
