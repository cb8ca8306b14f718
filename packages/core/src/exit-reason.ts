/**
 * Exit reasons, as in Erlang: why an actor ended. They are values, not errors. `'normal'`, `'shutdown'` and
 * `{ shutdown: x }` are expected endings; anything else (an error thrown by the actor, `'killed'`, `'noconnection'`,
 * any value passed to `exit`) is abnormal and propagates along links.
 */

/** Why an actor ended. Anything may be a reason; these are the ones the runtime itself uses. */
export type ExitReason =
  | 'normal'
  | 'shutdown'
  | { shutdown: unknown }
  | 'kill'
  | 'killed'
  | 'noproc'
  | 'noconnection'
  | Error
  | unknown

/** True for `'normal'`. A normal exit does not kill linked actors. */
export function isNormalExit(reason: unknown): boolean {
  return reason === 'normal'
}

/** True for `'shutdown'` and `{ shutdown: x }`: an orderly stop, not logged as a crash, not restarted if transient. */
export function isShutdownExit(reason: unknown): boolean {
  return (
    reason === 'shutdown' ||
    (typeof reason === 'object' && reason !== null && !(reason instanceof Error) && 'shutdown' in reason)
  )
}

/** True for reasons that are not a crash: normal and shutdown. */
export function isExpectedExit(reason: unknown): boolean {
  return reason === 'normal' || isShutdownExit(reason)
}
