import { createActorSystem } from '@cohort/core'
import type { ActorSystem, ProcessCtx } from '@cohort/core'
import { TestClock } from '@cohort/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { quoteBoardBehaviour } from './quote-board.ts'
import type { BoardSnapshot } from './quote-board.ts'

describe('the quote board', () => {
  let system: ActorSystem | undefined
  afterEach(async () => {
    await system?.shutdown()
  })

  it('keeps the last quotes when the ticker dies, and knows the feed is down from its Down', async () => {
    const clock = new TestClock(1_000)
    system = createActorSystem({ clock, strictMessages: true })
    const feed: string[] = []
    const board = await system.start(
      quoteBoardBehaviour({ onFeedUp: () => feed.push('up'), onFeedDown: (reason) => feed.push(`down: ${reason}`) }, () => clock.now()),
    )
    // A stand-in ticker: announces itself, passes one frame, then crashes when told to.
    const ticker = system.spawn(async (ctx: ProcessCtx) => {
      ctx.cast(board, { type: 'feedUp', pid: ctx.self })
      ctx.cast(board, { type: 'quotes', quotes: [{ symbol: 'ACME', price: 10, at: 900 }] })
      await ctx.receive((m) => m === 'crash')
      throw new Error('the feed closed the connection (code 1006)')
    })
    await system.whenIdle()
    expect(await system.call<BoardSnapshot>(board, 'snapshot')).toEqual({
      connected: true,
      since: 1_000,
      lastError: undefined,
      quotes: [{ symbol: 'ACME', price: 10, at: 900, receivedAt: 1_000 }],
    })
    await clock.advance(500)
    system.send(ticker, 'crash')
    await system.whenIdle()
    await clock.advance(0)
    expect(await system.call<BoardSnapshot>(board, 'snapshot')).toMatchObject({
      connected: false,
      since: 1_500,
      lastError: 'the feed closed the connection (code 1006)',
      quotes: [{ symbol: 'ACME', price: 10, receivedAt: 1_000 }],
    })
    expect(feed).toEqual(['up', 'down: the feed closed the connection (code 1006)'])
  })
})
