import { describe, expect, it } from 'vitest'
import { DEFAULT_POOL_OPTIONS, MAX_TIMEOUT_MS, resolvePoolOptions } from './pool-options.ts'

const connection = { host: '127.0.0.1', database: 'app' }

describe('resolvePoolOptions', () => {
  it('fills every default and sizes the intensity to the pool', () => {
    const resolved = resolvePoolOptions({ connection, size: 5 })
    expect(resolved).toMatchObject({
      size: 5,
      name: DEFAULT_POOL_OPTIONS.name,
      onGiveUp: 'backoff',
      intensity: { maxRestarts: 10, withinMs: 5_000 },
      queryTimeoutMs: 5_000,
      checkoutTimeoutMs: 5_000,
    })
  })

  it('names the bad option and its value', () => {
    expect(() => resolvePoolOptions({ connection, size: 0 })).toThrow('invalid option size: 0 (expected an integer >= 1)')
    expect(() => resolvePoolOptions({ connection, onGiveUp: 'crash' as 'backoff' })).toThrow("invalid option onGiveUp")
    expect(() => resolvePoolOptions({ connection, backoffInitialMs: 500, backoffMaxMs: 100 })).toThrow('invalid option backoffMaxMs: 100')
    expect(() => resolvePoolOptions({ connection, name: 'a b' })).toThrow('invalid option name')
    expect(() => resolvePoolOptions({} as never)).toThrow('invalid option connection')
    // Past a Node timer's 24.8 days a timeout would fire after 1 ms: refused, with the bound named.
    expect(() => resolvePoolOptions({ connection, queryTimeoutMs: 30 * 86_400_000 })).toThrow(
      'invalid option queryTimeoutMs: 2592000000 (expected a whole number of milliseconds from 1 to 86400000 (a day))',
    )
    expect(() => resolvePoolOptions({ connection, checkoutTimeoutMs: 0 })).toThrow('invalid option checkoutTimeoutMs: 0')
    expect(resolvePoolOptions({ connection, connectTimeoutMs: MAX_TIMEOUT_MS }).connectTimeoutMs).toBe(MAX_TIMEOUT_MS)
  })
})
