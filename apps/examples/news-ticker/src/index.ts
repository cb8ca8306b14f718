/**
 * @cohort/example-news-ticker — a news page whose live stock ticker fails and restarts on its own: the supervision
 * tree, its parts, the quote feed the example ships, and runNewsNode, the example node with probes and graceful
 * shutdown.
 */
export { newsTree, resolveNewsOptions, DEFAULT_NEWS_OPTIONS, NEWS_NAMES } from './news-tree.ts'
export { tickerView } from './ticker-view.ts'
export { parseQuoteFrame, encodeQuoteFrame } from './quote.ts'
export { parseArticle } from './articles.ts'
export { startFeedServer, DEFAULT_FEED_SERVER_OPTIONS } from './feed-server.ts'
export { renderFrontPage, renderTicker, escapeHtml } from './page.ts'
export { startNewsHttpServer } from './http-server.ts'
export { runNewsNode, loadNewsConfig, NEWS_VARIABLES } from './news-node.ts'
export { backoffDelayMs } from './backoff-keeper.ts'

export type { NewsOptions, ResolvedNewsOptions, NewsHooks } from './news-tree.ts'
export type { FeedDownPolicy, TickerView } from './ticker-view.ts'
export type { Quote } from './quote.ts'
export type { Article } from './articles.ts'
export type { BoardSnapshot } from './quote-board.ts'
export type { FeedServer, FeedServerOptions } from './feed-server.ts'
export type { NewsHttpServer } from './http-server.ts'
export type { NewsProcess, RunningNewsNode } from './news-node.ts'
