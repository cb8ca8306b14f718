/**
 * The quote board: the last price of every symbol and the state of the feed, kept apart from the ticker actor so that
 * they outlive its crashes. The ticker announces itself when its connection opens and the board monitors it: its
 * `Down` is the moment the feed is known to be gone. The page asks the board, never the ticker, so a crashing ticker
 * never delays a page.
 */
import { Down } from '@cohort/core'
import type { Pid, Ref, ServerBehaviour } from '@cohort/core'
import type { Quote } from './quote.ts'

/** What the board answers to `'snapshot'`. */
export interface BoardSnapshot {
  /** A ticker is connected to the feed now. */
  connected: boolean
  /** When `connected` last changed (ms since the epoch); undefined before the first connection. */
  since: number | undefined
  /** Why the last ticker ended, as text. */
  lastError: string | undefined
  /** The last quote of each symbol, with when this node received it. */
  quotes: (Quote & { receivedAt: number })[]
}

interface BoardState {
  quotes: Map<string, Quote & { receivedAt: number }>
  ticker: { pid: Pid; monitor: Ref } | undefined
  since: number | undefined
  lastError: string | undefined
}

/** Messages the ticker casts to the board. */
export type BoardUpdate = { type: 'feedUp'; pid: Pid } | { type: 'quotes'; quotes: Quote[] }

/** Hooks the board calls when the feed comes and goes (the node reports them; tests wait on them). */
export interface BoardHooks {
  onFeedUp(): void
  onFeedDown(reason: string): void
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message
  return typeof reason === 'string' ? reason : (JSON.stringify(reason) ?? String(reason))
}

export function quoteBoardBehaviour(hooks: BoardHooks, now: () => number = Date.now): ServerBehaviour<BoardState, void> {
  return {
    name: 'quote-board',
    init: () => ({ quotes: new Map(), ticker: undefined, since: undefined, lastError: undefined }),

    handleCast(update: BoardUpdate, state, ctx) {
      if (update.type === 'feedUp') {
        if (state.ticker !== undefined) ctx.demonitor(state.ticker.monitor, { flush: true })
        state.ticker = { pid: update.pid, monitor: ctx.monitor(update.pid) }
        state.since = now()
        hooks.onFeedUp()
        return state
      }
      const receivedAt = now()
      for (const quote of update.quotes) state.quotes.set(quote.symbol, { ...quote, receivedAt })
      return state
    },

    handleCall(_request: 'snapshot', _from, state) {
      const snapshot: BoardSnapshot = {
        connected: state.ticker !== undefined,
        since: state.since,
        lastError: state.lastError,
        quotes: [...state.quotes.values()].sort((a, b) => a.symbol.localeCompare(b.symbol)),
      }
      return { reply: snapshot, state }
    },

    handleInfo(msg: unknown, state) {
      if (msg instanceof Down && state.ticker !== undefined && msg.ref.equals(state.ticker.monitor)) {
        state.ticker = undefined
        state.since = now()
        state.lastError = describeReason(msg.reason)
        hooks.onFeedDown(state.lastError)
      }
      return state
    },
  }
}
