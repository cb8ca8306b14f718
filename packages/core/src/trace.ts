/**
 * Trace records: what `system.trace(observer)` receives. Typed and discriminated on `type`, named after Erlang's
 * trace vocabulary. When nobody observes, tracing costs one branch per event.
 */
import type { Pid } from './pid.ts'

/**
 * Why a message reached no mailbox: no such process, its node unreachable, the system stopped, or the actor's bounded
 * mailbox was full (`maxMailbox` with `mailboxOverflow: 'dropNewest'`).
 */
export type DeadLetterReason = 'noproc' | 'unreachable' | 'stopped' | 'overflow'

/** One event in a system, as seen by a tracer. */
export type TraceRecord =
  | { type: 'spawn'; pid: Pid; parent: Pid | undefined; behaviour: string }
  | { type: 'exit'; pid: Pid; reason: unknown }
  | { type: 'send'; from: Pid | undefined; to: unknown; msg: unknown }
  | { type: 'receive'; pid: Pid; msg: unknown }
  | { type: 'link'; from: Pid; to: Pid }
  | { type: 'unlink'; from: Pid; to: Pid }
  | { type: 'down'; watcher: Pid; target: unknown; reason: unknown }
  | { type: 'restart'; supervisor: Pid; child: string; reason: unknown }
  | { type: 'deadLetter'; to: unknown; msg: unknown; reason: DeadLetterReason }
  | { type: 'codeChange'; pid: Pid; behaviour: string; fromVersion: number; toVersion: number; error: unknown }
  | { type: 'nodeup'; node: string }
  | { type: 'nodedown'; node: string; reason: string }

/** Receives trace records. A throw is reported, never propagated into the runtime. */
export type TraceObserver = (record: TraceRecord) => void
