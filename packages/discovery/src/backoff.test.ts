import { describe, expect, it } from 'vitest'
import { backoffDelay, checkBackoff } from './backoff.ts'

describe('backoffDelay', () => {
  it('doubles from initialMs up to maxMs, with jitter in the upper half', () => {
    const o = { initialMs: 100, maxMs: 1_000 }
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n, o, () => 0))).toEqual([50, 100, 200, 400, 500, 500])
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n, o, () => 0.999999))).toEqual([100, 200, 400, 800, 1_000, 1_000])
  })

  it('rejects a cap below the first delay, naming the option', () => {
    expect(() => checkBackoff('retry', { initialMs: 10, maxMs: 5 })).toThrow(/invalid option retryMaxMs: 5/)
  })
})
