/**
 * Defaults that two packages each write down must agree: a node started from configuration (`cohort start`,
 * `loadConfig`) and one started by `startNode` in code sit in one cluster, and a different tick made idle connections
 * flap. And every node setting configuration reads must reach `startNode`.
 */
import { DEFAULT_CONFIG, loadConfig, nodeOptionsFromConfig } from '@cohort/discovery'
import { DEFAULT_NODE_OPTIONS, resolveNodeOptions } from '@cohort/transport'
import { describe, expect, it } from 'vitest'

describe('defaults shared by configuration and startNode', () => {
  it('tickMs is the same', () => {
    expect(DEFAULT_CONFIG.tickMs).toBe(DEFAULT_NODE_OPTIONS.tickMs)
  })

  it('nodeOptionsFromConfig hands startNode every node setting, as startNode reads it', async () => {
    const config = await loadConfig({ env: { COHORT_COOKIE: 'c', COHORT_TICK_MS: '20000', COHORT_MASK_FRAMES: 'true', COHORT_BUSY_WAIT_MS: '3' } })
    const options = nodeOptionsFromConfig(config)
    // A variable added to config.node and not passed on would be set and silently ignored.
    expect(Object.keys(options).sort()).toEqual(Object.keys(config.node).filter((k) => k !== 'basename').sort())
    expect(resolveNodeOptions(options)).toMatchObject({ ...options, tickMs: 20_000, maskFrames: true, busyWaitMs: 3 })
  })

  it('busyWaitMs is the same (off)', () => {
    expect(DEFAULT_CONFIG.busyWaitMs).toBe(DEFAULT_NODE_OPTIONS.busyWaitMs)
    expect(DEFAULT_CONFIG.busyWaitMs).toBe(0)
  })
})
