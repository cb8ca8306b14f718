/**
 * The news page's HTTP server: `/` (the front page), `/articles/<slug>`, and `/api/ticker` (what the page's script
 * polls). Each part of a page is asked of its own actor with a short deadline; a part that does not answer is
 * rendered as unavailable, so no part can turn the whole page into a 5xx.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ActorSystem } from '@cohort/core'
import type { Logger } from 'pino'
import { limitConnections } from '@cohort/discovery'
import type { Article } from './articles.ts'
import { NEWS_NAMES } from './news-tree.ts'
import type { ResolvedNewsOptions } from './news-tree.ts'
import { renderArticlePage, renderFrontPage } from './page.ts'
import type { Part } from './page.ts'
import type { BoardSnapshot } from './quote-board.ts'
import { tickerView } from './ticker-view.ts'
import type { TickerView } from './ticker-view.ts'

/** A running news server. */
export interface NewsHttpServer {
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

// A part that takes longer than this is shown as unavailable; the page itself never waits on the feed.
const PART_TIMEOUT_MS = 1_000

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

export async function startNewsHttpServer(options: {
  host: string
  port: number
  system: ActorSystem
  news: ResolvedNewsOptions
  logger: Logger
}): Promise<NewsHttpServer> {
  const { system, news, logger } = options
  const part = async <T>(name: string, request: unknown): Promise<Part<T>> => {
    try {
      return { ok: true, value: await system.call<T>(name, request, PART_TIMEOUT_MS) }
    } catch (err) {
      logger.warn({ err, part: name }, 'a page part did not answer')
      return { ok: false, reason: err instanceof Error ? err.message : String(err) }
    }
  }
  const ticker = async (): Promise<TickerView> => {
    const board = await part<BoardSnapshot>(NEWS_NAMES.board, 'snapshot')
    if (!board.ok) return { status: 'unavailable', quotes: [], message: 'the quote board did not answer' }
    return tickerView(board.value, news.feedDownPolicy, Date.now(), news.staleAfterMs)
  }

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://news').pathname
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed\n')
    if (path === '/') {
      const [articles, view, visits] = await Promise.all([
        part<Article[]>(NEWS_NAMES.articles, { type: 'list' }),
        ticker(),
        part<number>(NEWS_NAMES.visits, 'visit'),
      ])
      return send(res, 200, 'text/html', renderFrontPage({ articles, ticker: view, visits, refreshMs: news.refreshMs }))
    }
    if (path === '/api/ticker') {
      const view = await ticker()
      // The 'unavailable' policy propagates the error to the client; 'stale' keeps answering with old data.
      const status = view.status === 'unavailable' && news.feedDownPolicy === 'unavailable' ? 503 : 200
      return send(res, status, 'application/json', `${JSON.stringify(view)}\n`)
    }
    const article = /^\/articles\/([a-z0-9-]+)$/.exec(path)
    if (article !== null) {
      const found = await part<Article | null>(NEWS_NAMES.articles, { type: 'get', slug: article[1] })
      if (!found.ok) return send(res, 503, 'text/plain', 'articles are unavailable right now\n')
      if (found.value === null) return send(res, 404, 'text/plain', `no article ${article[1]}\n`)
      return send(res, 200, 'text/html', renderArticlePage(found.value))
    }
    return send(res, 404, 'text/plain', 'not found: try / or /api/ticker\n')
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      logger.error({ err }, 'request failed')
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n')
    })
  })
  // A flood of idle connections then costs a known number of descriptors, not all of them.
  limitConnections(server, { logger, name: 'news http' })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined
  return {
    port,
    url: `http://${options.host}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
