/**
 * What the page shows of the ticker, decided from the quote board's snapshot and the feed-down policy: live quotes,
 * the last quotes marked stale with their age, or "unavailable". A pure function of the snapshot and the time, so
 * the two policies are tested without a feed.
 */
import type { BoardSnapshot } from './quote-board.ts'

/**
 * What the ticker shows while the feed is down or silent (the two strategies of a supervised part whose source fails):
 * - `'stale'`: keep running with old data: the last quotes stay, marked stale with their age;
 * - `'unavailable'`: propagate the error: no quotes, the ticker says it is unavailable (and /api/ticker answers 503).
 */
export type FeedDownPolicy = 'stale' | 'unavailable'

/** The ticker as the page shows it. */
export interface TickerView {
  status: 'live' | 'stale' | 'unavailable'
  quotes: { symbol: string; price: number; ageMs: number }[]
  /** Why it is not live, for people. */
  message: string | undefined
}

export function tickerView(snapshot: BoardSnapshot, policy: FeedDownPolicy, now: number, staleAfterMs: number): TickerView {
  const newest = Math.max(-Infinity, ...snapshot.quotes.map((q) => q.receivedAt))
  const quotes = snapshot.quotes.map((q) => ({ symbol: q.symbol, price: q.price, ageMs: Math.max(0, now - q.receivedAt) }))
  if (snapshot.connected && now - newest <= staleAfterMs) return { status: 'live', quotes, message: undefined }
  const why = snapshot.connected ? 'the feed is silent' : `the feed is down${snapshot.lastError === undefined ? '' : `: ${snapshot.lastError}`}`
  if (policy === 'unavailable' || quotes.length === 0) {
    return { status: 'unavailable', quotes: [], message: quotes.length === 0 && policy === 'stale' ? `no quotes yet: ${why}` : why }
  }
  return { status: 'stale', quotes, message: why }
}
