/**
 * The news page's supervision tree and its options. Three parts under one supervisor, each failing on its own:
 *
 * ```
 * news (supervisor, oneForOne)
 * ├── articles        the articles, read from local files
 * ├── visit-counter   page views
 * ├── quote-board     last quotes and the feed's state; outlives the ticker
 * └── ticker-keeper   restarts the ticker with capped backoff each time it ends
 *     └── ticker      one WebSocket connection to the quote feed
 * ```
 *
 * The ticker sits under a keeper of its own, so its crashes never count against the restart intensity of the
 * supervisor that holds the articles and the counter: a feed that stays broken for an hour costs the rest nothing.
 */
import { InvalidOptionError, supervisor } from '@cohort/core'
import type { Behaviour } from '@cohort/core'
import { articlesBehaviour } from './articles.ts'
import { backoffKeeper } from './backoff-keeper.ts'
import { quoteBoardBehaviour } from './quote-board.ts'
import { tickerProcess } from './ticker.ts'
import type { FeedDownPolicy } from './ticker-view.ts'
import { visitCounterBehaviour } from './visit-counter.ts'

/** Registered names of the tree's actors. */
export const NEWS_NAMES = Object.freeze({ articles: 'articles', visits: 'visit-counter', board: 'quote-board', keeper: 'ticker-keeper' })

/** Options of the news tree. */
export interface NewsOptions {
  /** The quote feed, e.g. `ws://127.0.0.1:9100`. Required. */
  feedUrl: string
  /** Directory of the article files (`<slug>.md`). Required. */
  articlesDir: string
  /** What the ticker shows while the feed is down: see FeedDownPolicy. @default 'stale' */
  feedDownPolicy?: FeedDownPolicy
  /** Quotes older than this, with the feed silent or down, are not live. @default 3_000 */
  staleAfterMs?: number
  /** How often the page's script asks for the ticker. @default 1_000 */
  refreshMs?: number
  /** First wait before the ticker is restarted after a crash. @default 250 */
  tickerBackoffInitialMs?: number
  /** Longest wait between restarts while the feed stays away. @default 5_000 */
  tickerBackoffMaxMs?: number
  /** How long connecting to the feed may take. @default 2_000 */
  connectTimeoutMs?: number
}

export type ResolvedNewsOptions = Required<NewsOptions>

export const DEFAULT_NEWS_OPTIONS: Readonly<Omit<ResolvedNewsOptions, 'feedUrl' | 'articlesDir'>> = Object.freeze({
  feedDownPolicy: 'stale',
  staleAfterMs: 3_000,
  refreshMs: 1_000,
  tickerBackoffInitialMs: 250,
  tickerBackoffMaxMs: 5_000,
  connectTimeoutMs: 2_000,
})

/** Merges over the defaults; throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) naming a bad option. */
export function resolveNewsOptions(input: NewsOptions): ResolvedNewsOptions {
  const o = { ...DEFAULT_NEWS_OPTIONS, ...input }
  if (typeof o.feedUrl !== 'string' || !/^wss?:\/\//.test(o.feedUrl)) throw new InvalidOptionError('feedUrl', o.feedUrl, 'a ws:// or wss:// URL')
  if (typeof o.articlesDir !== 'string' || o.articlesDir === '') throw new InvalidOptionError('articlesDir', o.articlesDir, 'a directory')
  if (o.feedDownPolicy !== 'stale' && o.feedDownPolicy !== 'unavailable') {
    throw new InvalidOptionError('feedDownPolicy', o.feedDownPolicy, "'stale' or 'unavailable'")
  }
  for (const key of ['staleAfterMs', 'refreshMs', 'tickerBackoffInitialMs', 'tickerBackoffMaxMs', 'connectTimeoutMs'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new InvalidOptionError(key, o[key], 'an integer >= 1')
  }
  if (o.tickerBackoffMaxMs < o.tickerBackoffInitialMs) {
    throw new InvalidOptionError('tickerBackoffMaxMs', o.tickerBackoffMaxMs, `a number >= tickerBackoffInitialMs (${o.tickerBackoffInitialMs})`)
  }
  return o
}

/** What the tree reports as the feed comes and goes. */
export interface NewsHooks {
  onFeedUp(): void
  onFeedDown(reason: string): void
  /** The ticker ended; it is restarted in `retryInMs`. */
  onTickerRestart(reason: string, attempt: number, retryInMs: number): void
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message
  return typeof reason === 'string' ? reason : (JSON.stringify(reason) ?? String(reason))
}

/** The tree as a supervisor behaviour, ready for `system.start` or a parent's child spec. */
export function newsTree(options: ResolvedNewsOptions, hooks: NewsHooks, random: () => number = Math.random): Behaviour {
  let recovered = false
  const ticker = tickerProcess({
    feedUrl: options.feedUrl,
    board: NEWS_NAMES.board,
    connectTimeoutMs: options.connectTimeoutMs,
    onQuotes: () => (recovered = true),
  })
  return supervisor({
    name: 'news',
    strategy: 'oneForOne',
    children: [
      { id: 'articles', start: articlesBehaviour(), args: options.articlesDir, name: NEWS_NAMES.articles },
      { id: 'visits', start: visitCounterBehaviour(), name: NEWS_NAMES.visits },
      { id: 'quote-board', start: quoteBoardBehaviour(hooks), name: NEWS_NAMES.board },
      {
        id: 'ticker-keeper',
        name: NEWS_NAMES.keeper,
        type: 'supervisor',
        start: backoffKeeper({
          child: ticker,
          onGiveUp: 'backoff',
          backoffInitialMs: options.tickerBackoffInitialMs,
          backoffMaxMs: options.tickerBackoffMaxMs,
          random,
          recovered() {
            const was = recovered
            recovered = false
            return was
          },
          onChildGaveUp: (reason, attempt, retryInMs) => hooks.onTickerRestart(describeReason(reason), attempt, retryInMs ?? 0),
        }),
      },
    ],
  })
}
