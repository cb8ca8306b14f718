/**
 * The poll loop shared by the DNS strategies: look up, report, wait `intervalMs`; on a failure or a timeout report
 * it (the last known set stays) and retry with capped exponential backoff and jitter. All timers are on the clock.
 */
import { backoffDelay } from '../backoff.ts'
import type { BackoffOptions } from '../backoff.ts'
import { DiscoveryUnavailableError } from '../errors.ts'
import { delay } from '../internal/delay.ts'
import type { PeerSet, StrategyContext, StrategyRun } from '../strategy.ts'

/** What the poll loop needs from a strategy. */
export interface PollingOptions {
  strategy: string
  /** One lookup; `signal` aborts it when it times out or the strategy stops. */
  lookup: (signal: AbortSignal) => Promise<PeerSet>
  intervalMs: number
  timeoutMs: number
  retry: BackoffOptions
}

export function startPolling(context: StrategyContext, options: PollingOptions): StrategyRun {
  const { clock } = context
  const stopper = new AbortController()
  let failures = 0

  const lookupOnce = (): Promise<PeerSet> => {
    const attempt = new AbortController()
    const onStop = (): void => attempt.abort()
    stopper.signal.addEventListener('abort', onStop, { once: true })
    return new Promise<PeerSet>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        attempt.abort()
        reject(new DiscoveryUnavailableError(options.strategy, `lookup timed out after ${options.timeoutMs} ms`))
      }, options.timeoutMs)
      options.lookup(attempt.signal).then(resolve, reject).finally(() => {
        clock.clearTimeout(timer)
        stopper.signal.removeEventListener('abort', onStop)
      })
    })
  }

  const loop = async (): Promise<void> => {
    while (!stopper.signal.aborted) {
      let waitMs: number
      try {
        const set = await lookupOnce()
        if (stopper.signal.aborted) return
        failures = 0
        context.update(set)
        waitMs = options.intervalMs
      } catch (err) {
        if (stopper.signal.aborted) return
        failures++
        context.fail(
          err instanceof DiscoveryUnavailableError
            ? err
            : new DiscoveryUnavailableError(options.strategy, `lookup failed: ${describe(err)}`, { cause: err }),
        )
        waitMs = backoffDelay(failures, options.retry, context.random)
      }
      await delay(clock, waitMs, stopper.signal)
    }
  }
  const done = loop()
  return {
    stop() {
      stopper.abort()
      return done
    },
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' && !err.message.includes(code) ? `${code} ${err.message}` : err.message
  }
  return String(err)
}
