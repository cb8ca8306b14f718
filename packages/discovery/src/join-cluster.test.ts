import { seededRandom } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { FakeNode } from '../test-support/fake-node.ts'
import { createLogSink } from '@cohort/core/testing'
import { flush, testClock } from '../test-support/virtual-time.ts'
import type { Peer } from './cluster-node.ts'
import { joinCluster } from './join-cluster.ts'
import type { PeerSet, Strategy, StrategyContext } from './strategy.ts'

/** A strategy the test drives by hand. */
function manualStrategy(): Strategy & { context: () => StrategyContext; stopped: boolean } {
  let ctx: StrategyContext | undefined
  const s = {
    name: 'manual',
    stopped: false,
    start(context: StrategyContext) {
      ctx = context
      return {
        stop: async () => {
          s.stopped = true
        },
      }
    },
    context: () => {
      if (ctx === undefined) throw new Error('not started')
      return ctx
    },
  }
  return s
}

const peer = (n: number): Peer => ({ name: `chat@10.0.0.${n}`, url: `ws://10.0.0.${n}:4370` })
const set = (...ns: number[]): PeerSet => ({ peers: ns.map(peer) })

function setup(options: Parameters<typeof joinCluster>[2] = {}) {
  const clock = testClock()
  const node = new FakeNode('chat@10.0.0.1')
  const strategy = manualStrategy()
  const sink = createLogSink()
  const cluster = joinCluster(node, strategy, { clock, random: seededRandom(7), logger: sink.logger, ...options })
  return { clock, node, strategy, cluster, lines: sink.records, ctx: strategy.context() }
}

describe('joinCluster', () => {
  it('dials every reported peer except itself and reports them as members', async () => {
    const { node, cluster, ctx } = setup()
    ctx.update(set(1, 2, 3))
    expect(node.dials).toEqual([peer(2), peer(3)])
    node.accept('chat@10.0.0.2')
    await flush()
    expect(cluster.members()).toEqual([
      { ...peer(2), state: 'connected' },
      { ...peer(3), state: 'connecting' },
    ])
  })

  it('is not ready until the strategy has succeeded once, and emits ready then', () => {
    const { cluster, ctx } = setup()
    const events: string[] = []
    cluster.on('ready', () => events.push('ready'))
    expect(cluster.ready).toBe(false)
    ctx.fail(new Error('dns down'))
    expect(cluster.ready).toBe(false)
    ctx.update(set())
    expect(cluster.ready).toBe(true)
    ctx.update(set(2))
    expect(events).toEqual(['ready'])
  })

  it('emits peers with what was added and removed', () => {
    const { cluster, ctx } = setup()
    const changes: unknown[] = []
    cluster.on('peers', (c) => changes.push({ added: c.added.map((p) => p.name), removed: c.removed.map((p) => p.name) }))
    ctx.update(set(2, 3))
    ctx.update(set(2, 3))
    ctx.update(set(3, 4))
    expect(changes).toEqual([
      { added: ['chat@10.0.0.2', 'chat@10.0.0.3'], removed: [] },
      { added: ['chat@10.0.0.4'], removed: ['chat@10.0.0.2'] },
    ])
  })

  it('redials a peer that dropped, with backoff, without waiting for discovery to change', async () => {
    const { clock, node, cluster, ctx } = setup()
    const reconnects: Array<{ attempt: number; delayMs: number }> = []
    cluster.on('reconnecting', (r) => reconnects.push({ attempt: r.attempt, delayMs: r.delayMs }))
    ctx.update(set(2))
    node.accept('chat@10.0.0.2')
    await flush()
    node.drop('chat@10.0.0.2')
    expect(cluster.members()[0]?.state).toBe('backoff')
    expect(reconnects).toHaveLength(1)
    const first = reconnects[0] as { attempt: number; delayMs: number }
    expect(first.attempt).toBe(1)
    expect(first.delayMs).toBeGreaterThanOrEqual(100)
    expect(first.delayMs).toBeLessThanOrEqual(200)
    await clock.advance(first.delayMs - 1)
    expect(node.pendingDials()).toEqual([])
    await clock.advance(1)
    expect(node.pendingDials()).toEqual(['chat@10.0.0.2'])
    node.accept('chat@10.0.0.2')
    await flush()
    expect(cluster.members()[0]?.state).toBe('connected')
  })

  it('backs off exponentially with jitter up to the cap while a peer refuses', async () => {
    const { clock, node, cluster, ctx } = setup({ reconnectInitialMs: 100, reconnectMaxMs: 1_000 })
    const delays: number[] = []
    cluster.on('reconnecting', (r) => delays.push(r.delayMs))
    ctx.update(set(2))
    for (let i = 0; i < 7; i++) {
      node.refuse('chat@10.0.0.2')
      await flush()
      await clock.advance(delays.at(-1) as number)
    }
    const caps = [100, 200, 400, 800, 1_000, 1_000, 1_000]
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual((caps[i] as number) / 2)
      expect(d).toBeLessThanOrEqual(caps[i] as number)
    })
    expect(cluster.stats().dialFailures).toBe(7)
  })

  it('resets the backoff after a successful connection', async () => {
    const { clock, node, cluster, ctx } = setup({ reconnectInitialMs: 100, reconnectMaxMs: 10_000 })
    const attempts: number[] = []
    cluster.on('reconnecting', (r) => attempts.push(r.attempt))
    ctx.update(set(2))
    node.refuse('chat@10.0.0.2')
    await flush()
    await clock.advance(100)
    node.refuse('chat@10.0.0.2')
    await flush()
    await clock.advance(200)
    node.accept('chat@10.0.0.2')
    await flush()
    node.drop('chat@10.0.0.2')
    expect(attempts).toEqual([1, 2, 1])
  })

  it('stops redialling a peer that vanished from discovery, and does not disconnect it by default', async () => {
    const { clock, node, ctx } = setup()
    ctx.update(set(2, 3))
    node.accept('chat@10.0.0.3')
    node.refuse('chat@10.0.0.2')
    await flush()
    ctx.update(set())
    await clock.advance(60_000)
    expect(node.dials.filter((d) => d.name === 'chat@10.0.0.2')).toHaveLength(1)
    expect(node.disconnects).toEqual([])
    node.drop('chat@10.0.0.3')
    await clock.advance(60_000)
    expect(node.dials.filter((d) => d.name === 'chat@10.0.0.3')).toHaveLength(1)
  })

  it('disconnects vanished peers when disconnectVanished is set', async () => {
    const { node, ctx } = setup({ disconnectVanished: true })
    ctx.update(set(2))
    node.accept('chat@10.0.0.2')
    await flush()
    ctx.update(set())
    expect(node.disconnects).toEqual(['chat@10.0.0.2'])
  })

  it('keeps the last known peers when a lookup fails, and logs the error with its cause', async () => {
    const { node, cluster, ctx, lines } = setup({ errorAfterFailures: 2 })
    const failures: number[] = []
    cluster.on('lookupfailed', (_e, n) => failures.push(n))
    ctx.update(set(2))
    const cause = Object.assign(new Error('queryA ENOTFOUND chat'), { code: 'ENOTFOUND' })
    ctx.fail(new Error('lookup failed', { cause }))
    ctx.fail(new Error('lookup failed', { cause }))
    expect(cluster.members().map((m) => m.name)).toEqual(['chat@10.0.0.2'])
    expect(failures).toEqual([1, 2])
    expect(cluster.stats()).toMatchObject({ lookupFailures: 2, consecutiveFailures: 2 })
    const logged = lines.filter((l) => l['msg'] === 'discovery lookup failed; keeping the last known peers')
    expect(logged.map((l) => l['level'])).toEqual([40, 50])
    expect(JSON.stringify(logged[0]?.['err'])).toContain('ENOTFOUND')
    expect(node.disconnects).toEqual([])
    ctx.update(set(2))
    expect(cluster.stats().consecutiveFailures).toBe(0)
  })

  it('marks peers connected when they connect to us first and does not dial them again', async () => {
    const { node, cluster, ctx } = setup()
    node.up('chat@10.0.0.2')
    ctx.update(set(2))
    expect(node.dials).toEqual([])
    expect(cluster.members()[0]?.state).toBe('connected')
  })

  it('dials an unconnected peer on the next report instead of leaving it idle', async () => {
    const { node, ctx } = setup()
    ctx.update(set(2))
    node.refuse('chat@10.0.0.2')
    await flush()
    // a pending redial is not disturbed by a report
    ctx.update(set(2))
    expect(node.dials).toHaveLength(1)
  })

  it('warns, naming the expected name, when its own name stays missing from discovery', async () => {
    const { clock, ctx, lines } = setup({ selfCheckMs: 10_000 })
    const warning = () => lines.filter((l) => String(l['msg']).startsWith('this node is not among the discovered peers'))
    ctx.update(set(2, 3))
    await clock.advance(9_999)
    expect(warning()).toHaveLength(0)
    await clock.advance(1)
    expect(warning()).toHaveLength(1)
    expect(warning()[0]?.['msg']).toContain('expected discovery to report "chat@10.0.0.1"')
    expect(warning()[0]?.['node']).toBe('chat@10.0.0.1')
  })

  it('does not warn when its own name is reported, even only as not ready', async () => {
    const { clock, ctx, lines } = setup({ selfCheckMs: 10_000 })
    ctx.update({ peers: [peer(2)], pending: ['chat@10.0.0.1'] })
    await clock.advance(20_000)
    ctx.update(set(1, 2))
    await clock.advance(20_000)
    expect(lines.filter((l) => String(l['msg']).startsWith('this node is not among'))).toHaveLength(0)
  })

  it('stops idempotently: strategy stopped, timers cleared, node listeners removed', async () => {
    const { clock, node, strategy, cluster, ctx } = setup()
    ctx.update(set(2))
    node.refuse('chat@10.0.0.2')
    await flush()
    expect(clock.pending).toBeGreaterThan(0)
    const a = cluster.stop()
    const b = cluster.stop()
    expect(a).toBe(b)
    await a
    expect(strategy.stopped).toBe(true)
    expect(node.listenerCount()).toBe(0)
    await clock.advance(120_000)
    expect(node.dials).toHaveLength(1)
    ctx.update(set(2, 3))
    expect(node.dials).toHaveLength(1)
  })

  it('supports await using', async () => {
    const node = new FakeNode('chat@10.0.0.1')
    const strategy = manualStrategy()
    {
      await using cluster = joinCluster(node, strategy, { clock: testClock() })
      expect(cluster.ready).toBe(false)
    }
    expect(strategy.stopped).toBe(true)
  })

  it('reports a throwing listener to the logger instead of breaking discovery', () => {
    const { cluster, ctx, lines } = setup()
    cluster.on('peers', () => {
      throw new Error('listener bug')
    })
    ctx.update(set(2))
    expect(cluster.members()).toHaveLength(1)
    expect(lines.some((l) => l['msg'] === 'event listener threw')).toBe(true)
  })

  it('rejects invalid options, naming the option and value', () => {
    const node = new FakeNode('chat@10.0.0.1')
    expect(() => joinCluster(node, manualStrategy(), { reconnectInitialMs: 0 })).toThrow(
      /invalid option reconnectInitialMs: 0/,
    )
    expect(() => joinCluster(node, manualStrategy(), { reconnectInitialMs: 500, reconnectMaxMs: 100 })).toThrow(
      /reconnectMaxMs: 100/,
    )
  })
})
