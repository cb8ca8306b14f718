/** startNode on loopback: listening, connecting, send and call, nodedown, close. */
import { describe, expect, it } from 'vitest'
import { echo, logged, nameOf, nextEvent, testNode } from './test-support/nodes.ts'

describe('startNode', () => {
  it('listens on a free port and reports it', async () => {
    const { node } = await testNode('a')
    expect(node.port).toBeGreaterThan(0)
    expect(node.url).toBe(`ws://127.0.0.1:${node.port}`)
    expect(node.nodes()).toEqual([])
  })

  it('connects two nodes and routes sends and calls between them', async () => {
    const a = await testNode('a')
    const b = await testNode('b')
    const pid = b.node.system.spawn(echo)
    b.node.system.register('echo', pid)
    const upOnB = nextEvent(b.node, 'nodeup')
    await a.node.connect({ name: b.node.name, url: b.node.url })
    expect(await upOnB).toEqual([a.node.name])
    expect(a.node.nodes()).toEqual([b.node.name])
    expect(b.node.nodes()).toEqual([a.node.name])
    expect(await a.node.system.call(pid, 'ping')).toBe('ping')
    expect(await a.node.system.call({ name: 'echo', node: b.node.name }, { n: 1 })).toEqual({ n: 1 })
    expect(logged(a.log, 'peer connected')[0]).toMatchObject({ peer: b.node.name })
  })

  it('emits nodedown on both sides when one side disconnects', async () => {
    const a = await testNode('a')
    const b = await testNode('b')
    await a.node.connect({ name: b.node.name, url: b.node.url })
    const downA = nextEvent(a.node, 'nodedown')
    const downB = nextEvent(b.node, 'nodedown')
    a.node.disconnect(b.node.name)
    expect(await downA).toEqual([b.node.name, 'disconnect'])
    expect(await downB).toEqual([a.node.name, 'noconnection'])
    expect(a.node.nodes()).toEqual([])
  })

  it('close is idempotent and disposes', async () => {
    const a = await testNode('a')
    await Promise.all([a.node.close(), a.node.close()])
    await a.node[Symbol.asyncDispose]()
    await expect(a.node.connect({ name: nameOf('x'), url: 'ws://127.0.0.1:1' })).rejects.toMatchObject({ code: 'COHORT_ERR_HANDSHAKE_FAILED' })
  })
})
