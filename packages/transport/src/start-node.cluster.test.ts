/** startNode on loopback, cluster behaviour: ties, mesh, leave, on-demand connect, limits, hidden nodes, incarnations, ticks. */
import { Pid } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from './wire/close-codes.ts'
import { echo, logged, nameOf, nextEvent, testNode, until } from './test-support/nodes.ts'
import { rawPeer } from './test-support/raw-peer.ts'

describe('startNode cluster behaviour', () => {
  it('keeps exactly one connection when two nodes dial each other at once', async () => {
    let ties = 0
    for (let round = 0; round < 5; round++) {
      const a = await testNode(`a${round}`)
      const b = await testNode(`b${round}`)
      let downs = 0
      a.node.on('nodedown', () => downs++)
      b.node.on('nodedown', () => downs++)
      await Promise.all([a.node.connect({ name: b.node.name, url: b.node.url }), b.node.connect({ name: a.node.name, url: a.node.url })])
      expect(a.node.nodes()).toEqual([b.node.name])
      expect(b.node.nodes()).toEqual([a.node.name])
      const pid = b.node.system.spawn(echo)
      expect(await a.node.system.call(pid, round)).toBe(round)
      expect(downs).toBe(0)
      ties += [...a.log.records, ...b.log.records].filter((r) => r['msg'] === 'connection closed' && r['closeCode'] === CLOSE_CODES.duplicate).length
      await a.node.close()
      await b.node.close()
    }
    // Each round both dials were in flight together, so the tie rule had to drop one connection.
    expect(ties).toBeGreaterThanOrEqual(5)
  })

  it('forms a full mesh of five nodes from one seed', async () => {
    const seed = await testNode('seed')
    const others = await Promise.all(['n1', 'n2', 'n3', 'n4'].map((n) => testNode(n)))
    for (const o of others) await o.node.connect({ name: seed.node.name, url: seed.node.url })
    const all = [seed, ...others]
    await until(() => all.every((n) => n.node.nodes().length === 4), 'a full mesh')
    for (const n of all) expect(n.node.nodes().sort()).toEqual(all.map((m) => m.node.name).filter((x) => x !== n.node.name).sort())
  })

  it('reports a graceful leave as nodedown with reason leaving and an info log', async () => {
    const a = await testNode('a')
    const b = await testNode('b')
    await a.node.connect({ name: b.node.name, url: b.node.url })
    const down = nextEvent(a.node, 'nodedown')
    const ownDown = nextEvent(b.node, 'nodedown')
    await b.node.leave()
    expect(await down).toEqual([b.node.name, 'leaving'])
    // The leaving node itself reports its peers gone because it is closing, as a close would.
    expect(await ownDown).toEqual([a.node.name, 'shutdown'])
    const line = logged(a.log, 'peer left')[0]
    expect(line).toMatchObject({ level: 30, peer: b.node.name, closeCode: CLOSE_CODES.leaving })
    expect(logged(a.log, 'peer lost')).toEqual([])
  })

  it('connects on demand to a node whose URL is known, and reports unknown nodes unreachable', async () => {
    const a = await testNode('a')
    const c = await testNode('c')
    await a.node.connect({ name: c.node.name, url: c.node.url })
    const down = nextEvent(a.node, 'nodedown')
    a.node.disconnect(c.node.name)
    await down
    expect(a.node.nodes()).toEqual([])
    const pid = c.node.system.spawn(echo)
    expect(await a.node.system.call(pid, 'again')).toBe('again')
    expect(a.node.nodes()).toEqual([c.node.name])
    const ghost = { type: 'send' as const, to: new Pid(nameOf('ghost'), 1, 1), from: undefined, msg: 1 }
    expect(a.node.distribution.send(nameOf('ghost'), ghost)).toBe('unreachable')
  })

  it('refuses to send a message over maxMessageBytes without breaking the connection', async () => {
    const a = await testNode('a', { maxMessageBytes: 64 * 1024 })
    const b = await testNode('b')
    await a.node.connect({ name: b.node.name, url: b.node.url })
    const pid = b.node.system.spawn(echo)
    const big = { type: 'send' as const, to: pid, from: undefined, msg: Buffer.alloc(100_000) }
    expect(() => a.node.distribution.send(b.node.name, big)).toThrow(
      expect.objectContaining({ code: 'COHORT_ERR_MESSAGE_TOO_LARGE', node: b.node.name, maxMessageBytes: 65536 }),
    )
    // Through core's send path too: the error reaches the caller.
    expect(() => a.node.system.send(pid, Buffer.alloc(100_000))).toThrow(expect.objectContaining({ code: 'COHORT_ERR_MESSAGE_TOO_LARGE' }))
    expect(await a.node.system.call(pid, 'fine')).toBe('fine')
    expect(a.node.nodes()).toEqual([b.node.name])
  })

  it('hides hidden nodes from nodes(), events and the mesh', async () => {
    const a = await testNode('a')
    const b = await testNode('b')
    await b.node.connect({ name: a.node.name, url: a.node.url })
    const cli = await testNode('cli', { hidden: true })
    let upsOnA = 0
    a.node.on('nodeup', () => upsOnA++)
    await cli.node.connect({ name: a.node.name, url: a.node.url })
    const pid = a.node.system.spawn(echo)
    expect(await cli.node.system.call(pid, 'hi')).toBe('hi')
    expect(a.node.nodes()).toEqual([b.node.name])
    expect(a.node.hiddenNodes()).toEqual([cli.node.name])
    expect(cli.node.nodes()).toEqual([])
    expect(cli.node.hiddenNodes()).toEqual([a.node.name])
    expect(b.node.nodes()).toEqual([a.node.name])
    expect(b.node.hiddenNodes()).toEqual([])
    expect(upsOnA).toBe(0)
  })

  it('treats a restarted node as a new incarnation and replaces the old connection', async () => {
    const a = await testNode('a')
    const b1 = await testNode('b', { creation: 1 })
    await a.node.connect({ name: b1.node.name, url: b1.node.url })
    const oldPid = b1.node.system.spawn(echo)
    // The new incarnation arrives before the old connection is seen to die.
    const b2 = await testNode('b', { creation: 2 })
    const down = nextEvent(a.node, 'nodedown')
    const up = nextEvent(a.node, 'nodeup')
    await b2.node.connect({ name: a.node.name, url: a.node.url })
    expect(await down).toEqual([b1.node.name, 'noconnection'])
    expect(await up).toEqual([b2.node.name])
    expect(a.node.nodes()).toEqual([b2.node.name])
    const newPid = b2.node.system.spawn(echo)
    expect(newPid.creation).toBe(2)
    expect(await a.node.system.call(newPid, 'new')).toBe('new')
    expect(oldPid.creation).toBe(1)
  })

  it('declares a silent peer down after tickMs', async () => {
    const a = await testNode('a', { tickMs: 400 })
    const up = nextEvent(a.node, 'nodeup')
    const silent = await rawPeer(a.node.url, { cookie: 'test-cookie', name: nameOf('silent') })
    await up
    silent.ws.pause()
    const started = Date.now()
    expect(await nextEvent(a.node, 'nodedown')).toEqual([nameOf('silent'), 'noconnection'])
    expect(Date.now() - started).toBeLessThan(1500)
    expect(logged(a.log, 'peer silent for tickMs')[0]).toMatchObject({ closeCode: CLOSE_CODES.tickTimeout })
  })
})
