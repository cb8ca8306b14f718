/**
 * Graceful shutdown on SIGTERM, in the order Kubernetes needs: turn /readyz false, wait `drainDelayMs` (the endpoint
 * update races SIGTERM, K8S.md 9.1), tell peers this node is leaving so they do not treat it as a crash, stop the
 * supervision tree (children in reverse order), then exit(0). A second signal, a failing step or the
 * `gracePeriodMs` deadline forces exit(1). The signal source, exit and clock are injected: the app passes `process`.
 * Gotchas: keep preStop + gracePeriodMs below the pod's terminationGracePeriodSeconds, or SIGKILL comes first.
 */
import type { Clock } from '@cohort/core'
import { InvalidOptionError, systemClock } from '@cohort/core'
import type { Logger } from 'pino'
import { silentLogger } from './internal/silent-logger.ts'

/** Something that emits signals by name: `process` fits. */
export interface SignalSource {
  on(event: string, listener: (signal: string) => void): unknown
  off(event: string, listener: (signal: string) => void): unknown
}

/** Options of installGracefulShutdown. */
export interface GracefulShutdownOptions {
  /** Where signals come from (`process`). */
  signals: SignalSource
  /** Signals that start the shutdown. @default ['SIGTERM', 'SIGINT'] */
  signalNames?: readonly string[]
  /** Wait between "not ready" and leaving, so endpoints and peers catch up. @default 2_000 */
  drainDelayMs?: number
  /**
   * Deadline from the first signal to exit(1). @default 20_000 — with a 5 s preStop this fits Kubernetes' default
   * 30 s terminationGracePeriodSeconds with room to spare
   */
  gracePeriodMs?: number
  /** Turns /readyz false (`probes.setNotReady`). */
  setNotReady: () => void
  /** Tells peers this node is leaving and stops discovery (e.g. `cluster.stop()` then the node's leave). */
  leave: () => Promise<void> | void
  /** Stops the supervision tree (`system.shutdown()`). */
  stopTree: () => Promise<void> | void
  /** Ends the process (`process.exit`). */
  exit: (code: number) => void
  /** @default systemClock */
  clock?: Clock
  /** @default a silent logger */
  logger?: Logger
}

/** The defaults of GracefulShutdownOptions. */
export const DEFAULT_GRACEFUL_SHUTDOWN_OPTIONS: Readonly<{
  signalNames: readonly string[]
  drainDelayMs: number
  gracePeriodMs: number
}> = Object.freeze({
  signalNames: Object.freeze(['SIGTERM', 'SIGINT']),
  drainDelayMs: 2_000,
  gracePeriodMs: 20_000,
})

/** Where a shutdown is. */
export type ShutdownPhase = 'running' | 'draining' | 'leaving' | 'stopping' | 'exited'

/** The installed handler. */
export interface GracefulShutdown {
  readonly phase: ShutdownPhase
  /** Starts the sequence as a signal would (e.g. from an admin endpoint); resolves when it has called exit. */
  shutdown(reason?: string): Promise<void>
  /** Removes the signal listeners (the sequence, if started, goes on). */
  uninstall(): void
}

/**
 * Installs the SIGTERM sequence.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad delay, period or missing callback
 * @example installGracefulShutdown({ signals: process, exit: process.exit, setNotReady: probes.setNotReady, leave, stopTree: () => system.shutdown() })
 */
export function installGracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const drainDelayMs = options.drainDelayMs ?? DEFAULT_GRACEFUL_SHUTDOWN_OPTIONS.drainDelayMs
  const gracePeriodMs = options.gracePeriodMs ?? DEFAULT_GRACEFUL_SHUTDOWN_OPTIONS.gracePeriodMs
  const signalNames = options.signalNames ?? DEFAULT_GRACEFUL_SHUTDOWN_OPTIONS.signalNames
  if (!Number.isFinite(drainDelayMs) || drainDelayMs < 0) {
    throw new InvalidOptionError('drainDelayMs', drainDelayMs, 'a number of milliseconds >= 0')
  }
  if (!Number.isFinite(gracePeriodMs) || gracePeriodMs <= drainDelayMs) {
    throw new InvalidOptionError('gracePeriodMs', gracePeriodMs, `a number of milliseconds > drainDelayMs (${drainDelayMs})`)
  }
  for (const name of ['setNotReady', 'leave', 'stopTree', 'exit'] as const) {
    if (typeof options[name] !== 'function') throw new InvalidOptionError(name, options[name], 'a function')
  }
  if (typeof options.signals?.on !== 'function' || typeof options.signals.off !== 'function') {
    throw new InvalidOptionError('signals', options.signals, 'an emitter of signals with on/off, such as process')
  }
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger()
  let phase: ShutdownPhase = 'running'
  let sequence: Promise<void> | undefined
  let deadline: unknown

  const exit = (code: number, why: string): void => {
    if (phase === 'exited') return
    phase = 'exited'
    if (deadline !== undefined) clock.clearTimeout(deadline)
    if (code === 0) logger.info({ durationMs: clock.now() - startedAt }, 'shutdown finished')
    else logger.fatal({ reason: why, durationMs: clock.now() - startedAt }, 'shutdown forced')
    options.exit(code)
  }
  let startedAt = 0

  const step = async (name: ShutdownPhase, fn: () => Promise<void> | void): Promise<boolean> => {
    if (phase === 'exited') return false
    phase = name
    try {
      await fn()
      return true
    } catch (err) {
      logger.error({ err, reason: name }, 'shutdown step failed')
      return false
    }
  }

  const run = async (reason: string): Promise<void> => {
    startedAt = clock.now()
    logger.info({ reason, durationMs: drainDelayMs }, 'shutdown started')
    deadline = clock.setTimeout(() => exit(1, `grace period of ${gracePeriodMs} ms exceeded`), gracePeriodMs)
    phase = 'draining'
    try {
      options.setNotReady()
    } catch (err) {
      logger.error({ err }, 'setNotReady failed')
    }
    await new Promise<void>((resolve) => clock.setTimeout(resolve, drainDelayMs))
    // Leaving is best effort: peers that miss it see a nodedown instead. A tree that cannot stop is a forced exit.
    await step('leaving', options.leave)
    const stopped = await step('stopping', options.stopTree)
    exit(stopped ? 0 : 1, stopped ? 'done' : 'the supervision tree did not stop cleanly')
  }

  const onSignal = (signal: string): void => {
    if (sequence === undefined) {
      sequence = run(signal)
      return
    }
    logger.warn({ reason: signal }, 'second signal during shutdown; exiting now')
    exit(1, `second ${signal}`)
  }
  const handlers = signalNames.map((name) => {
    const handler = (): void => onSignal(name)
    options.signals.on(name, handler)
    return [name, handler] as const
  })

  return {
    get phase() {
      return phase
    },
    shutdown(reason = 'requested') {
      sequence ??= run(reason)
      return sequence
    },
    uninstall() {
      for (const [name, handler] of handlers) options.signals.off(name, handler)
    },
  }
}
