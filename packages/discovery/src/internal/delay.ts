/**
 * A delay on the injected clock that an AbortSignal cuts short, for the retry loops of strategies. Resolves (never
 * rejects) when aborted, so loops check their own stop flag afterwards.
 */
import type { Clock } from '@cohort/core'

export function delay(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const onAbort = (): void => {
      clock.clearTimeout(timer)
      resolve()
    }
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
