/**
 * Defaults that two packages each write down must agree: a node started from configuration (`cohort start`,
 * `loadConfig`) and one started by `startNode` in code sit in one cluster, and a different tick made idle connections
 * flap.
 */
import { DEFAULT_CONFIG } from '@cohort/discovery'
import { DEFAULT_NODE_OPTIONS } from '@cohort/transport'
import { describe, expect, it } from 'vitest'

describe('defaults shared by configuration and startNode', () => {
  it('tickMs is the same', () => {
    expect(DEFAULT_CONFIG.tickMs).toBe(DEFAULT_NODE_OPTIONS.tickMs)
  })

  it('busyWaitMs is the same (off)', () => {
    expect(DEFAULT_CONFIG.busyWaitMs).toBe(DEFAULT_NODE_OPTIONS.busyWaitMs)
    expect(DEFAULT_CONFIG.busyWaitMs).toBe(0)
  })
})
