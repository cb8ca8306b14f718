import { describe, expect, it } from 'vitest'
import { createActorSystem } from './actor-system.ts'
import { systemClock } from '../clock.ts'

describe('Scheduler', () => {
  it('lets a timer fire on time while an actor floods another with 1,000,000 messages', async () => {
    const sys = createActorSystem({ node: 'flood@test', clock: systemClock })
    let handled = 0
    let handledWhenTimerFired = -1
    let lateByMs = -1
    const total = 1_000_000
    const done = new Promise<void>((resolve) => {
      const sink = sys.spawn({
        init: () => null,
        handleInfo: (_m: number, s: null) => {
          if (++handled === 1) {
            // Armed once the flood is flowing: it must fire while the flood is still being processed.
            const armedAt = performance.now()
            setTimeout(() => {
              handledWhenTimerFired = handled
              lateByMs = performance.now() - armedAt - 5
            }, 5)
          }
          if (handled === total) resolve()
          return s
        },
      })
      // The sender floods in batches of 10,000 (one batch per message to itself), like a busy producer actor.
      sys.spawn({
        init: (_a, ctx) => {
          ctx.send(ctx.self, 0)
          return null
        },
        handleInfo: (batch: number, s: null, ctx) => {
          for (let i = 0; i < 10_000; i++) ctx.send(sink, i)
          if (batch + 1 < total / 10_000) ctx.send(ctx.self, batch + 1)
          return s
        },
      })
    })
    await done
    // The timer ran while the flood was being processed, not after it.
    expect(handledWhenTimerFired).toBeGreaterThan(0)
    expect(handledWhenTimerFired).toBeLessThan(total)
    // Slices are 10 ms; allow generous slack for a loaded CI machine, far less than the flood takes.
    expect(lateByMs).toBeLessThan(200)
  })

  it('runs each actor at most messagesPerTurn messages before the next one (fairness)', async () => {
    const sys = createActorSystem({ node: 'fair@test', clock: systemClock, messagesPerTurn: 10 })
    const order: string[] = []
    const make = (id: string) => sys.spawn({ init: () => null, handleInfo: (_m: unknown, s: null) => { order.push(id); return s } })
    const a = make('a')
    const b = make('b')
    await sys.whenIdle()
    for (let i = 0; i < 30; i++) sys.send(a, i)
    for (let i = 0; i < 30; i++) sys.send(b, i)
    await sys.whenIdle()
    const runs = order.join('').match(/(.)\1*/g)!.map((r) => r.length)
    expect(runs).toEqual([10, 10, 10, 10, 10, 10])
  })
})

describe('Scheduler fairness between senders and receivers', () => {
  it('counts the messages an actor sends against its turn, so a receiver keeps up with a busy sender', async () => {
    const sys = createActorSystem({ node: 'red@test', clock: systemClock, messagesPerTurn: 10 })
    let sent = 0
    let received = 0
    let maxLag = 0
    const done = new Promise<void>((resolve) => {
      const sink = sys.spawn({ init: () => null, handleInfo: (_m: number, s: null) => { received++; return s } })
      sys.spawn({
        init: (_a, ctx) => { ctx.send(ctx.self, 0); return null },
        handleInfo: (round: number, s: null, ctx) => {
          maxLag = Math.max(maxLag, sent - received)
          for (let i = 0; i < 10; i++) { ctx.send(sink, i); sent++ }
          if (round < 2000) ctx.send(ctx.self, round + 1)
          else resolve()
          return s
        },
      })
    })
    await done
    // Without reductions the sender handles 10 rounds (100 sends) per turn while the sink handles 10 messages:
    // the lag would grow to thousands. With them, each side does about the same work per turn.
    expect(maxLag).toBeLessThanOrEqual(30)
  })
})
