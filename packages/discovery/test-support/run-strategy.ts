/** Starts a strategy with a manual clock and records what it reports. */
import { seededRandom } from '@cohort/core'
import type { Logger } from 'pino'
import { silentLogger } from '../src/internal/silent-logger.ts'
import type { PeerSet, Strategy, StrategyRun } from '../src/strategy.ts'
import { testClock } from './virtual-time.ts'
import type { TestClock } from '@cohort/core/testing'

export function runStrategy(strategy: Strategy, options: { clock?: TestClock; logger?: Logger } = {}) {
  const clock = options.clock ?? testClock()
  const updates: PeerSet[] = []
  const failures: Error[] = []
  const run: StrategyRun = strategy.start({
    clock,
    random: seededRandom(3),
    logger: options.logger ?? silentLogger(),
    update: (s) => updates.push(s),
    fail: (e) => failures.push(e),
  })
  return {
    clock,
    updates,
    failures,
    run,
    last: () => updates.at(-1),
    names: () => (updates.at(-1)?.peers ?? []).map((p) => p.name),
  }
}
