/**
 * runNewsNode: the news example's composition root — configuration → logger → node → the news tree → cluster → probes
 * → HTTP server → graceful shutdown. The ticker is deliberately not a readiness check: a page without live quotes is
 * still a page, and a failing readiness check would take the whole pod out of its Service.
 */
import { fileURLToPath } from 'node:url'
import { supervisor } from '@cohort/core'
import type { Pid } from '@cohort/core'
import { InvalidConfigError, installGracefulShutdown, joinCluster, loadConfig, logDestination, nodeOptionsFromConfig, startProbeServer, strategyFromConfig } from '@cohort/discovery'
import type { ProbeServer } from '@cohort/discovery'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'
import { pino } from 'pino'
import { Counter, Gauge } from 'prom-client'
import { startNewsHttpServer } from './http-server.ts'
import type { NewsHttpServer } from './http-server.ts'
import { newsTree, resolveNewsOptions } from './news-tree.ts'
import type { NewsOptions } from './news-tree.ts'

/** What the node receives from its process. */
export interface NewsProcess {
  env: Readonly<Record<string, string | undefined>>
  signals: { on(signal: string, listener: (signal: string) => void): unknown; off(signal: string, listener: (signal: string) => void): unknown }
  exit(code: number): void
  /** Writes one JSON event line (`ready`, `feedUp`, `feedDown`, `tickerRestart`). */
  writeEvent(event: Record<string, unknown>): void
}

/** The running node. */
export interface RunningNewsNode {
  node: CohortNode
  root: Pid
  probes: ProbeServer
  http: NewsHttpServer
}

/** Every variable read here beside the COHORT_* ones, with its default. */
export const NEWS_VARIABLES: Readonly<Record<string, string>> = Object.freeze({
  FEED_URL: 'ws://127.0.0.1:9100',
  ARTICLES_DIR: "the example's articles/",
  TICKER_POLICY: 'stale',
  TICKER_STALE_AFTER_MS: '3000',
  TICKER_REFRESH_MS: '1000',
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: '8080',
})

function integer(env: Readonly<Record<string, string | undefined>>, name: string, min: number, max: number): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidConfigError(name, `expected an integer in ${min}..${max}, got ${JSON.stringify(raw)}`)
  }
  return value
}

/** Reads the news settings from the environment. */
export function loadNewsConfig(env: Readonly<Record<string, string | undefined>>): { news: NewsOptions; http: { host: string; port: number } } {
  const policy = env['TICKER_POLICY'] ?? 'stale'
  if (policy !== 'stale' && policy !== 'unavailable') {
    throw new InvalidConfigError('TICKER_POLICY', `expected stale or unavailable, got ${JSON.stringify(policy)}`)
  }
  const feedUrl = env['FEED_URL'] ?? 'ws://127.0.0.1:9100'
  if (!/^wss?:\/\/./.test(feedUrl)) throw new InvalidConfigError('FEED_URL', `expected a ws:// or wss:// URL, got ${JSON.stringify(feedUrl)}`)
  const staleAfterMs = integer(env, 'TICKER_STALE_AFTER_MS', 1, 3_600_000)
  const refreshMs = integer(env, 'TICKER_REFRESH_MS', 100, 3_600_000)
  return {
    news: {
      feedUrl,
      articlesDir: env['ARTICLES_DIR'] ?? fileURLToPath(new URL('../articles', import.meta.url)),
      feedDownPolicy: policy,
      ...(staleAfterMs === undefined ? {} : { staleAfterMs }),
      ...(refreshMs === undefined ? {} : { refreshMs }),
    },
    http: { host: env['HTTP_HOST'] ?? '127.0.0.1', port: integer(env, 'HTTP_PORT', 0, 65535) ?? 8080 },
  }
}

export async function runNewsNode(proc: NewsProcess): Promise<RunningNewsNode> {
  const config = await loadConfig({ env: proc.env })
  const app = loadNewsConfig(proc.env)
  const news = resolveNewsOptions(app.news)
  const logger = pino({ name: 'news', level: config.logLevel, redact: ['cookie', '*.cookie'] }, logDestination())
  const node = await startNode({ ...nodeOptionsFromConfig(config), logger })
  const system = node.system
  let tickerRestarts = 0
  let feedConnected = false
  const tree = newsTree(news, {
    onFeedUp() {
      feedConnected = true
      proc.writeEvent({ type: 'feedUp' })
    },
    onFeedDown(reason) {
      feedConnected = false
      proc.writeEvent({ type: 'feedDown', reason })
    },
    onTickerRestart(reason, attempt, retryInMs) {
      tickerRestarts++
      logger.warn({ reason, restarts: attempt, retryInMs }, 'ticker ended; restarting it after a backoff')
      proc.writeEvent({ type: 'tickerRestart', reason, attempt, retryInMs })
    },
  })
  const root = await system.start(supervisor({ name: 'root', strategy: 'oneForOne', children: [{ id: 'news', start: tree, type: 'supervisor' }] }))
  const cluster = joinCluster(node, strategyFromConfig(config.discovery, { env: proc.env }), { logger })
  const probes = await startProbeServer({
    ...config.probes,
    isAlive: () => system.isAlive(root),
    cluster,
    metrics: { transport: node, processes: system, restarts: { restarts: () => tickerRestarts }, discovery: cluster },
    logger,
  })
  new Gauge({
    name: 'cohort_news_feed_connected',
    help: '1 while the ticker is connected to the quote feed',
    registers: [probes.registry],
    collect() {
      this.set(feedConnected ? 1 : 0)
    },
  })
  new Counter({
    name: 'cohort_news_ticker_restarts_total',
    help: 'Times the ticker ended and was restarted after a backoff',
    registers: [probes.registry],
    collect() {
      this.reset()
      this.inc(tickerRestarts)
    },
  })
  const http = await startNewsHttpServer({ ...app.http, system, news, logger })
  installGracefulShutdown({
    signals: proc.signals,
    ...config.shutdown,
    setNotReady: () => probes.setNotReady(),
    leave: async () => {
      await cluster.stop()
      await node.leave()
    },
    stopTree: async () => {
      await http.close()
      await system.shutdown()
      await node.close()
      await probes.close()
    },
    exit: proc.exit,
    logger,
  })
  proc.writeEvent({ type: 'ready', node: node.name, url: node.url, probes: probes.url, http: http.url })
  return { node, root, probes, http }
}
