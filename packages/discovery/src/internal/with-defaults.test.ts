import { describe, expect, it } from 'vitest'
import { withDefaults } from './with-defaults.ts'

describe('withDefaults', () => {
  it('overrides a default with each option given a value, and keeps it for an option passed as undefined', () => {
    const defaults = Object.freeze({ intervalMs: 5_000, timeoutMs: 5_000, scheme: 'ws' })
    const o = withDefaults(defaults, { intervalMs: 250, timeoutMs: undefined, query: 'peers.local.' })
    expect(o).toEqual({ intervalMs: 250, timeoutMs: 5_000, scheme: 'ws', query: 'peers.local.' })
    expect(defaults.intervalMs).toBe(5_000)
  })
})
