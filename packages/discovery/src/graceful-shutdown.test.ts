import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { flush, testClock } from '../test-support/virtual-time.ts'
import { installGracefulShutdown } from './graceful-shutdown.ts'
import type { GracefulShutdownOptions } from './graceful-shutdown.ts'

function setup(overrides: Partial<GracefulShutdownOptions> = {}) {
  const clock = testClock()
  const signals = new EventEmitter()
  const steps: string[] = []
  let finishTree: (() => void) | undefined
  const shutdown = installGracefulShutdown({
    signals,
    clock,
    drainDelayMs: 5_000,
    gracePeriodMs: 20_000,
    setNotReady: () => steps.push(`notReady@${clock.now() - start}`),
    leave: async () => {
      steps.push(`leave@${clock.now() - start}`)
    },
    stopTree: () => {
      steps.push(`stopTree@${clock.now() - start}`)
      return new Promise<void>((resolve) => (finishTree = resolve))
    },
    exit: (code) => steps.push(`exit(${code})@${clock.now() - start}`),
    ...overrides,
  })
  const start = clock.now()
  return { clock, signals, steps, shutdown, finishTree: () => finishTree?.() }
}

describe('installGracefulShutdown', () => {
  it('on SIGTERM: not ready, drain delay, leave, stop the tree, exit(0) — in that order', async () => {
    const { clock, signals, steps, shutdown, finishTree } = setup()
    signals.emit('SIGTERM', 'SIGTERM')
    expect(steps).toEqual(['notReady@0'])
    expect(shutdown.phase).toBe('draining')
    await clock.advance(4_999)
    expect(steps).toEqual(['notReady@0'])
    await clock.advance(1)
    expect(steps).toEqual(['notReady@0', 'leave@5000', 'stopTree@5000'])
    expect(shutdown.phase).toBe('stopping')
    await clock.advance(1_000)
    finishTree()
    await flush()
    expect(steps).toEqual(['notReady@0', 'leave@5000', 'stopTree@5000', 'exit(0)@6000'])
    expect(shutdown.phase).toBe('exited')
    await clock.advance(60_000)
    expect(steps.filter((s) => s.startsWith('exit'))).toHaveLength(1)
  })

  it('forces exit(1) on a second signal', async () => {
    const { clock, signals, steps } = setup()
    signals.emit('SIGTERM', 'SIGTERM')
    await clock.advance(1_000)
    signals.emit('SIGTERM', 'SIGTERM')
    expect(steps).toEqual(['notReady@0', 'exit(1)@1000'])
    await clock.advance(30_000)
    expect(steps.filter((s) => s.startsWith('exit'))).toEqual(['exit(1)@1000'])
  })

  it('forces exit(1) when the grace period runs out', async () => {
    const { clock, signals, steps } = setup()
    signals.emit('SIGTERM', 'SIGTERM')
    await clock.advance(20_000)
    expect(steps).toEqual(['notReady@0', 'leave@5000', 'stopTree@5000', 'exit(1)@20000'])
  })

  it('goes on when leave fails, and exits 1 when the tree fails to stop', async () => {
    const { clock, signals, steps } = setup({
      leave: () => {
        throw new Error('peers unreachable')
      },
      stopTree: async () => {
        throw new Error('child refused to stop')
      },
    })
    signals.emit('SIGINT', 'SIGINT')
    await clock.advance(5_000)
    expect(steps).toEqual(['notReady@0', 'exit(1)@5000'])
  })

  it('can be started programmatically and uninstalled', async () => {
    const { clock, signals, steps, shutdown, finishTree } = setup()
    shutdown.uninstall()
    signals.emit('SIGTERM', 'SIGTERM')
    expect(steps).toEqual([])
    const done = shutdown.shutdown('admin request')
    await clock.advance(5_000)
    finishTree()
    await done
    expect(steps.at(-1)).toBe('exit(0)@5000')
  })

  it('rejects a grace period not longer than the drain delay, naming it', () => {
    expect(() => setup({ drainDelayMs: 5_000, gracePeriodMs: 5_000 })).toThrow(/invalid option gracePeriodMs: 5000/)
  })
})
