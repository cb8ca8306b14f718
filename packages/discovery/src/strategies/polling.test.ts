import { seededRandom } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { flush, testClock } from '../../test-support/virtual-time.ts'
import type { TestClock } from '@cohort/core/testing'
import { silentLogger } from '../internal/silent-logger.ts'
import type { PeerSet, StrategyContext } from '../strategy.ts'
import { startPolling } from './polling.ts'

function context(clock: TestClock) {
  const updates: PeerSet[] = []
  const failures: Error[] = []
  const ctx: StrategyContext = {
    clock,
    random: seededRandom(1),
    logger: silentLogger(),
    update: (s) => updates.push(s),
    fail: (e) => failures.push(e),
  }
  return { ctx, updates, failures }
}

describe('startPolling', () => {
  it('looks up at once, then every intervalMs', async () => {
    const clock = testClock()
    const { ctx, updates } = context(clock)
    let calls = 0
    const run = startPolling(ctx, {
      strategy: 'test',
      intervalMs: 5_000,
      timeoutMs: 1_000,
      retry: { initialMs: 100, maxMs: 1_000 },
      lookup: async () => ({ peers: [{ name: `a@${++calls}`, url: 'ws://x:1' }] }),
    })
    await flush()
    expect(updates).toHaveLength(1)
    await clock.advance(4_999)
    expect(updates).toHaveLength(1)
    await clock.advance(1)
    expect(updates).toHaveLength(2)
    await run.stop()
    await clock.advance(60_000)
    expect(updates).toHaveLength(2)
  })

  it('reports a timed-out lookup as DiscoveryUnavailable and aborts it', async () => {
    const clock = testClock()
    const { ctx, updates, failures } = context(clock)
    let aborted = false
    const run = startPolling(ctx, {
      strategy: 'test',
      intervalMs: 5_000,
      timeoutMs: 1_000,
      retry: { initialMs: 100, maxMs: 1_000 },
      lookup: (signal) =>
        new Promise<PeerSet>(() => {
          signal.addEventListener('abort', () => (aborted = true))
        }),
    })
    await clock.advance(1_000)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ code: 'COHORT_ERR_DISCOVERY_UNAVAILABLE', message: 'lookup timed out after 1000 ms' })
    expect(aborted).toBe(true)
    expect(updates).toHaveLength(0)
    await run.stop()
  })

  it('retries failures with capped backoff, then returns to the interval', async () => {
    const clock = testClock()
    const { ctx, updates, failures } = context(clock)
    let calls = 0
    const times: number[] = []
    const start = clock.now()
    const run = startPolling(ctx, {
      strategy: 'test',
      intervalMs: 5_000,
      timeoutMs: 1_000,
      retry: { initialMs: 100, maxMs: 400 },
      lookup: async () => {
        times.push(clock.now() - start)
        if (++calls <= 4) throw Object.assign(new Error('queryA ESERVFAIL'), { code: 'ESERVFAIL' })
        return { peers: [] }
      },
    })
    await clock.advance(10_000)
    expect(failures).toHaveLength(4)
    expect(failures[0]?.message).toContain('ESERVFAIL')
    expect((failures[0] as Error & { cause?: unknown }).cause).toBeInstanceOf(Error)
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number))
    // 1st..4th retries: within [cap/2, cap] for caps 100, 200, 400, 400; then the interval
    ;[100, 200, 400, 400].forEach((cap, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(cap / 2)
      expect(gaps[i]).toBeLessThanOrEqual(cap)
    })
    expect(gaps[4]).toBe(5_000)
    expect(updates.length).toBeGreaterThan(0)
    await run.stop()
  })
})
