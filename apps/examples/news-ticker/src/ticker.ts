/**
 * The ticker: one actor holding one WebSocket connection to the quote feed. It passes every frame to the quote board
 * and lets anything unexpected end it: the feed unreachable, the connection closed, a frame that does not parse. It
 * never retries by itself; its keeper restarts it with backoff, which is the whole point of the example.
 * Gotchas: it traps exits, so that a shutdown closes its socket instead of leaving it to the process's end.
 */
import { Exit } from '@cohort/core'
import type { ProcessCtx } from '@cohort/core'
import WebSocket from 'ws'
import { parseQuoteFrame } from './quote.ts'

/** Where the ticker connects and whom it tells. */
export interface TickerArgs {
  feedUrl: string
  /** The quote board's registered name. */
  board: string
  /** How long the WebSocket handshake may take. */
  connectTimeoutMs: number
  /** Called on the first good frame after a start: the ticker recovered. */
  onQuotes(): void
}

type SocketEvent = { type: 'open' } | { type: 'frame'; text: string } | { type: 'closed'; code: number } | { type: 'error'; message: string }

export function tickerProcess(args: TickerArgs): (ctx: ProcessCtx) => Promise<void> {
  // Named, so that crash reports and the cluster view say "ticker".
  return async function ticker(ctx) {
    ctx.trapExit(true)
    const socket = new WebSocket(args.feedUrl, { handshakeTimeout: args.connectTimeoutMs })
    socket.on('open', () => ctx.send(ctx.self, { type: 'open' } satisfies SocketEvent))
    socket.on('message', (data) => ctx.send(ctx.self, { type: 'frame', text: String(data) } satisfies SocketEvent))
    socket.on('close', (code) => ctx.send(ctx.self, { type: 'closed', code } satisfies SocketEvent))
    socket.on('error', (err) => ctx.send(ctx.self, { type: 'error', message: err.message } satisfies SocketEvent))
    try {
      for (;;) {
        const m = await ctx.receive<SocketEvent | Exit>()
        if (m instanceof Exit) return ctx.exit(m.reason)
        switch (m.type) {
          case 'open':
            ctx.cast(args.board, { type: 'feedUp', pid: ctx.self })
            break
          case 'frame':
            // A frame that does not parse throws here: the ticker crashes, and only the ticker.
            ctx.cast(args.board, { type: 'quotes', quotes: parseQuoteFrame(m.text) })
            args.onQuotes()
            break
          case 'closed':
            throw new Error(`the feed closed the connection (code ${m.code})`)
          case 'error':
            throw new Error(`feed unreachable: ${m.message}`)
        }
      }
    } finally {
      socket.removeAllListeners()
      socket.on('error', () => undefined)
      socket.terminate()
    }
  }
}
