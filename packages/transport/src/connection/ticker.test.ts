/** Unit tests of the liveness Ticker in virtual time. */
import { TestClock } from '@cohort/core/testing'
import { describe, expect, it } from 'vitest'
import { Ticker } from './ticker.ts'

describe('Ticker', () => {
  it('ticks only after a quiet quarter and declares silence after tickMs', async () => {
    const clock = new TestClock()
    let ticks = 0
    const silent: number[] = []
    const t = new Ticker({ clock, tickMs: 1000, onTick: () => ticks++, onSilent: (ms) => silent.push(ms) })
    t.markSent()
    t.markReceived()
    await clock.advance(250)
    expect(ticks).toBe(0)
    await clock.advance(250)
    expect(ticks).toBe(1)
    await clock.advance(1000)
    expect(silent).toEqual([1000])
    await clock.advance(5000)
    expect(silent).toHaveLength(1)
  })

  it('stays quiet while traffic flows and stops cleanly', async () => {
    const clock = new TestClock()
    let ticks = 0
    const t = new Ticker({ clock, tickMs: 400, onTick: () => ticks++, onSilent: () => expect.unreachable() })
    for (let i = 0; i < 20; i++) {
      t.markSent()
      t.markReceived()
      await clock.advance(100)
    }
    expect(ticks).toBe(0)
    t.stop()
    expect(clock.pending).toBe(0)
  })
})

describe('Ticker on an idle link', () => {
  it('ticks every tickMs / 4, even though writing a tick marks the link as sent', async () => {
    const clock = new TestClock()
    const tickTimes: number[] = []
    // As on a connection: the tick is written on a later turn, and that write marks the link as sent.
    const t: Ticker = new Ticker({
      clock,
      tickMs: 1000,
      onTick: () => {
        tickTimes.push(clock.now())
        clock.setTimeout(() => t.markSent(), 1)
      },
      onSilent: () => undefined,
    })
    for (let i = 0; i < 8; i++) {
      t.markReceived()
      await clock.advance(250)
    }
    await clock.advance(10)
    expect(tickTimes.map((at) => at - (tickTimes[0] as number))).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750])
    t.stop()
  })
})
