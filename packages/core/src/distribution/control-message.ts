/**
 * The control messages one node's ActorSystem sends another's, mirroring Erlang's distribution protocol. Both the
 * in-memory network and `@cohort/transport` carry exactly these; the transport encodes them with the message codec.
 * Every kind has the same fields in the same order (monomorphic on the hot path).
 */
import type { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'

/** A message to a pid. `from` is the sender, when an actor sent it. */
export interface SendControl {
  type: 'send'
  to: Pid
  from: Pid | undefined
  msg: unknown
}
/** A message to a name registered on the receiving node (`{ name, node }` addressing). */
export interface SendToNameControl {
  type: 'sendName'
  name: string
  from: Pid | undefined
  msg: unknown
}
/** `from` links to `to`. */
export interface LinkControl {
  type: 'link'
  from: Pid
  to: Pid
}
/** `from` removes its link to `to`. */
export interface UnlinkControl {
  type: 'unlink'
  from: Pid
  to: Pid
}
/**
 * An exit signal from `from` to `to`. `link` is true when it is the propagation of a linked actor's end (Erlang's
 * EXIT), false when it was sent with `exit(pid, reason)` (Erlang's EXIT2).
 */
export interface ExitControl {
  type: 'exit'
  from: Pid
  to: Pid
  reason: unknown
  link: boolean
}
/** `from` monitors `to` (a pid, or a name registered on the receiving node), tagged with `ref`. */
export interface MonitorControl {
  type: 'monitor'
  from: Pid
  to: Pid | string
  ref: Ref
}
/** `from` cancels the monitor `ref` on `to`. */
export interface DemonitorControl {
  type: 'demonitor'
  from: Pid
  to: Pid | string
  ref: Ref
}
/** The actor `from` (monitored as `from`) ended with `reason`; the watcher is `to`. */
export interface DownControl {
  type: 'down'
  from: Pid | string
  to: Pid
  ref: Ref
  reason: unknown
}
/** `from` asks the receiving node to spawn its behaviour named `behaviour` with `args`. */
export interface SpawnRequestControl {
  type: 'spawnRequest'
  from: Pid
  ref: Ref
  behaviour: string
  args: unknown
  link: boolean
}
/** The answer to a spawn request: the new pid, or an error text. */
export interface SpawnReplyControl {
  type: 'spawnReply'
  to: Pid
  ref: Ref
  pid: Pid | undefined
  error: string | undefined
}

/**
 * A call to `to` (a pid, or a name registered on the receiving node) as one message: the receiving node sets up the
 * monitor `ref` of `to` by the reply port `port`, as `monitor` would, then delivers
 * `{ $cohort: 'call', from: { pid: port, ref }, request }` to `to`, as `send` would (a `down` with `noproc` if `to`
 * is gone). `from` is the calling actor, when an actor called (for ordering; it does not travel). Only sent over a
 * distribution whose `compactCalls` is true; Erlang sends the monitor and the request as two signals.
 */
export interface CallControl {
  type: 'call'
  to: Pid | string
  port: Pid
  ref: Ref
  request: unknown
  from: Pid | undefined
}
/**
 * The reply to a call, `{ $cohort: 'reply', ref, value }`, for the pid `to`. `released` says that the replying
 * actor was the one the call monitored and has dropped that monitor (`ref`): the caller forgets it without sending a
 * `demonitor`. `from` is the replying actor (for ordering; it does not travel). Only with `compactCalls`.
 */
export interface ReplyControl {
  type: 'reply'
  to: Pid
  ref: Ref
  value: unknown
  released: boolean
  from: Pid | undefined
}

/** Every control message. */
export type ControlMessage =
  | SendControl
  | SendToNameControl
  | LinkControl
  | UnlinkControl
  | ExitControl
  | MonitorControl
  | DemonitorControl
  | DownControl
  | SpawnRequestControl
  | SpawnReplyControl
  | CallControl
  | ReplyControl

/** The `type` of every control message, for validating decoded input. */
export const CONTROL_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  'send',
  'sendName',
  'link',
  'unlink',
  'exit',
  'monitor',
  'demonitor',
  'down',
  'spawnRequest',
  'spawnReply',
  'call',
  'reply',
])
