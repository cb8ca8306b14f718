/**
 * What joinCluster tells an operator: a peer that stays unreachable is one warn line without a stack, then a summary
 * now and then; a node whose every peer refuses its handshake (a wrong cookie) says so at error level and stops
 * being ready until a peer accepts it.
 */
import { seededRandom } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { FakeNode } from '../test-support/fake-node.ts'
import { createLogSink } from '@cohort/core/testing'
import { flush, testClock } from '../test-support/virtual-time.ts'
import type { Peer } from './cluster-node.ts'
import { joinCluster } from './join-cluster.ts'
import type { Strategy, StrategyContext } from './strategy.ts'

const peer = (n: number): Peer => ({ name: `chat@10.0.0.${n}`, url: `ws://10.0.0.${n}:4370` })

function setup(options: Parameters<typeof joinCluster>[2] = {}) {
  const clock = testClock()
  const node = new FakeNode('chat@10.0.0.1')
  let ctx: StrategyContext | undefined
  const strategy: Strategy = { name: 'manual', start: (c) => ((ctx = c), { stop: async () => {} }) }
  const sink = createLogSink()
  const cluster = joinCluster(node, strategy, { clock, random: seededRandom(7), logger: sink.logger, reconnectInitialMs: 100, reconnectMaxMs: 1_000, ...options })
  return { clock, node, cluster, lines: sink.records, ctx: ctx as StrategyContext }
}

const REFUSED = 'handshake with ws://10.0.0.2:4370 failed: connect ECONNREFUSED 10.0.0.2:4370'

describe('joinCluster diagnostics', () => {
  it('logs an unreachable peer once without a stack, redials at debug, then a summary per interval', async () => {
    const { clock, node, ctx, lines } = setup({ unreachableSummaryMs: 10_000 })
    ctx.update({ peers: [peer(2)] })
    for (let i = 0; i < 12; i++) {
      node.refuse('chat@10.0.0.2', REFUSED)
      await flush()
      await clock.advance(1_000)
    }
    const warns = lines.filter((l) => l['level'] === 40 && String(l['msg']).includes('unreachable'))
    expect(warns.map((l) => l['msg'])).toEqual(['peer unreachable, redialling', 'peer still unreachable after 11 attempts, redialling'])
    expect(warns[0]).toMatchObject({ peer: 'chat@10.0.0.2', reason: REFUSED })
    expect(warns[0]).not.toHaveProperty('err')
    expect(JSON.stringify(warns)).not.toContain('    at ')
    expect(lines.filter((l) => l['level'] === 20 && l['msg'] === 'peer unreachable, redialling').length).toBe(10)
    // Up, then down and unreachable again: that is news, logged again.
    node.accept('chat@10.0.0.2')
    await flush()
    node.drop('chat@10.0.0.2')
    await clock.advance(1_000)
    node.refuse('chat@10.0.0.2', REFUSED)
    await flush()
    expect(lines.filter((l) => l['level'] === 40 && l['msg'] === 'peer unreachable, redialling')).toHaveLength(3)
  })

  it('is cut off, not ready and says so once at error level while every peer refuses its cookie', async () => {
    const { clock, node, cluster, ctx, lines } = setup()
    ctx.update({ peers: [peer(2), peer(3)] })
    expect(cluster.ready).toBe(true)
    node.refuse('chat@10.0.0.2', 'handshake failed: closed with 4001 (handshakeFailed)', 4001)
    node.refuse('chat@10.0.0.3', REFUSED)
    await flush()
    expect(cluster.cutOff).toBe(true)
    expect(cluster.ready).toBe(false)
    expect(cluster.notReadyReason).toMatch(/cookie/)
    await clock.advance(1_000)
    node.refuse('chat@10.0.0.2', 'handshake failed: closed with 4001 (handshakeFailed)', 4001)
    await flush()
    const errors = lines.filter((l) => l['level'] === 50)
    expect(errors).toHaveLength(1)
    expect(String(errors[0]?.['msg'])).toMatch(/cannot join any of the 2 peers.*COHORT_COOKIE/)
    // One peer accepts: ready again.
    node.refuse('chat@10.0.0.3', REFUSED)
    await flush()
    await clock.advance(1_000)
    node.accept('chat@10.0.0.3')
    await flush()
    expect(cluster.cutOff).toBe(false)
    expect(cluster.ready).toBe(true)
    expect(cluster.notReadyReason).toBeUndefined()
  })

  it('is not cut off when its peers are merely unreachable: it may be the last node running', async () => {
    const { node, cluster, ctx } = setup()
    ctx.update({ peers: [peer(2)] })
    node.refuse('chat@10.0.0.2', REFUSED)
    await flush()
    expect(cluster.cutOff).toBe(false)
    expect(cluster.ready).toBe(true)
  })
})
