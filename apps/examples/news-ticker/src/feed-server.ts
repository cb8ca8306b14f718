/**
 * The quote feed the example ships: a WebSocket server that sends every connected client one frame of made-up quotes
 * per tick (a random walk per symbol). It can be told to send garbage instead (`corrupt`), which is how the example
 * shows a feed that is up but broken. It is a plain process, not a Cohort node: the feed is "the outside world".
 */
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { encodeQuoteFrame } from './quote.ts'
import type { Quote } from './quote.ts'

/** Options of startFeedServer. */
export interface FeedServerOptions {
  /** @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port. @default 9100 */
  port?: number
  /** @default ['ACME', 'GLOBEX', 'INITECH', 'UMBRELLA'] */
  symbols?: string[]
  /** Time between frames. @default 500 */
  intervalMs?: number
  /** @default Math.random */
  random?: () => number
}

/** A running feed. */
export interface FeedServer {
  readonly port: number
  readonly url: string
  /** While on, every frame is garbage that no ticker can parse. */
  corrupt(on: boolean): void
  close(): Promise<void>
}

export const DEFAULT_FEED_SERVER_OPTIONS: Readonly<Required<Omit<FeedServerOptions, 'random'>>> = Object.freeze({
  host: '127.0.0.1',
  port: 9100,
  symbols: ['ACME', 'GLOBEX', 'INITECH', 'UMBRELLA'],
  intervalMs: 500,
})

export async function startFeedServer(options: FeedServerOptions = {}): Promise<FeedServer> {
  const { host, port, symbols, intervalMs } = { ...DEFAULT_FEED_SERVER_OPTIONS, ...options }
  const random = options.random ?? Math.random
  const prices = new Map(symbols.map((s, i) => [s, 100 + 25 * i]))
  let corrupt = false
  const server = new WebSocketServer({ host, port })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const tick = (): void => {
    const at = Date.now()
    const quotes: Quote[] = symbols.map((symbol) => {
      // A random walk of at most 1% a tick, rounded to cents.
      const next = Math.max(1, (prices.get(symbol) ?? 100) * (1 + (random() - 0.5) / 50))
      prices.set(symbol, next)
      return { symbol, price: Math.round(next * 100) / 100, at }
    })
    const frame = corrupt ? `%%garbage-${at}%%` : encodeQuoteFrame(quotes)
    for (const client of server.clients) client.send(frame)
  }
  // New clients get a frame at once, so a reconnected ticker is live without waiting a whole interval.
  server.on('connection', () => tick())
  const timer = setInterval(tick, intervalMs)
  const bound = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined
  return {
    port: bound,
    url: `ws://${host}:${bound}`,
    corrupt(on) {
      corrupt = on
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(timer)
        for (const client of server.clients) client.terminate()
        server.close(() => resolve())
      })
      return closing
    },
  }
}
