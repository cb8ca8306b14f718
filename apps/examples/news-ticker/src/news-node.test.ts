import { describe, expect, it } from 'vitest'
import { loadNewsConfig } from './news-node.ts'
import { resolveNewsOptions } from './news-tree.ts'

describe('loadNewsConfig', () => {
  it('reads the feed, the policy and the timing, with defaults', () => {
    const config = loadNewsConfig({ FEED_URL: 'ws://quotes:9100', TICKER_POLICY: 'unavailable', TICKER_STALE_AFTER_MS: '2000', HTTP_PORT: '0' })
    expect(config.news).toMatchObject({ feedUrl: 'ws://quotes:9100', feedDownPolicy: 'unavailable', staleAfterMs: 2000 })
    expect(config.news.articlesDir).toMatch(/articles$/)
    expect(config.http).toEqual({ host: '127.0.0.1', port: 0 })
  })

  it('names the variable that is wrong', () => {
    expect(() => loadNewsConfig({ TICKER_POLICY: 'crash' })).toThrow('invalid TICKER_POLICY: expected stale or unavailable, got "crash"')
    expect(() => loadNewsConfig({ FEED_URL: 'http://x' })).toThrow('invalid FEED_URL: expected a ws:// or wss:// URL')
    expect(() => loadNewsConfig({ TICKER_REFRESH_MS: '5' })).toThrow('invalid TICKER_REFRESH_MS')
  })
})

describe('resolveNewsOptions', () => {
  it('fills the defaults and refuses a bad option by name', () => {
    expect(resolveNewsOptions({ feedUrl: 'ws://x', articlesDir: '/a' })).toMatchObject({ feedDownPolicy: 'stale', staleAfterMs: 3000 })
    expect(() => resolveNewsOptions({ feedUrl: 'ws://x', articlesDir: '/a', tickerBackoffInitialMs: 10, tickerBackoffMaxMs: 5 })).toThrow(
      'invalid option tickerBackoffMaxMs: 5',
    )
    expect(() => resolveNewsOptions({ feedUrl: 'x', articlesDir: '/a' })).toThrow('invalid option feedUrl')
  })
})
