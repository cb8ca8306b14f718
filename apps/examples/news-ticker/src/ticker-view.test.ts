import { describe, expect, it } from 'vitest'
import type { BoardSnapshot } from './quote-board.ts'
import { tickerView } from './ticker-view.ts'

const quotes = [{ symbol: 'ACME', price: 10, at: 0, receivedAt: 1_000 }]
const live: BoardSnapshot = { connected: true, since: 0, lastError: undefined, quotes }
const down: BoardSnapshot = { connected: false, since: 2_000, lastError: 'feed unreachable: connect ECONNREFUSED', quotes }

describe('tickerView', () => {
  it('is live while connected and fresh', () => {
    expect(tickerView(live, 'stale', 1_500, 3_000)).toEqual({ status: 'live', quotes: [{ symbol: 'ACME', price: 10, ageMs: 500 }], message: undefined })
  })

  it("keeps the last quotes, marked stale with their age, under the 'stale' policy", () => {
    expect(tickerView(down, 'stale', 6_000, 3_000)).toEqual({
      status: 'stale',
      quotes: [{ symbol: 'ACME', price: 10, ageMs: 5_000 }],
      message: 'the feed is down: feed unreachable: connect ECONNREFUSED',
    })
    expect(tickerView(live, 'stale', 5_000, 3_000)).toMatchObject({ status: 'stale', message: 'the feed is silent' })
  })

  it("shows nothing but the error under the 'unavailable' policy", () => {
    expect(tickerView(down, 'unavailable', 6_000, 3_000)).toEqual({
      status: 'unavailable',
      quotes: [],
      message: 'the feed is down: feed unreachable: connect ECONNREFUSED',
    })
  })

  it('is unavailable before any quote arrived, whatever the policy', () => {
    expect(tickerView({ ...down, quotes: [] }, 'stale', 1, 3_000)).toMatchObject({ status: 'unavailable', message: expect.stringMatching(/^no quotes yet/) })
  })
})
