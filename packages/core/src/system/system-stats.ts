/**
 * What a system reports about itself to tools (the CLI's cluster view, metrics): one record per actor and the
 * system's counters. The counters are written by the parts that count (spawns and exits, deliveries, dead letters, supervisor restarts)
 * and read by `stats()`.
 */
import type { Pid } from '../pid.ts'

/** A node's view of one of its actors, for tools (the CLI's cluster view, metrics). */
export interface ProcessInfo {
  pid: Pid
  name: string | undefined
  behaviour: string
  mailboxDepth: number
  links: number
  /** Monitors this actor holds on others. */
  monitors: number
  /** Monitors others hold on this actor (Erlang's `monitored_by`), a pending call's among them. */
  monitoredBy: number
  trapExit: boolean
}

/** Counters of a system. */
export interface SystemStats {
  actors: number
  runQueue: number
  spawned: number
  exited: number
  messagesDelivered: number
  deadLetters: number
  /** Children restarted by supervisors since the system started. */
  restarts: number
}

/** A supervisor restarted a child, for `monitorRestarts`. */
export interface RestartEvent {
  supervisor: Pid
  /** The child spec's id. */
  child: string
  /** The exit reason that made the supervisor restart it. */
  reason: unknown
}

/** The counting part of `SystemStats`, kept up to date as things happen. */
export interface Counters {
  spawned: number
  exited: number
  messagesDelivered: number
  deadLetters: number
  restarts: number
}
