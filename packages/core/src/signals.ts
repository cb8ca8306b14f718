/**
 * Down and Exit: the messages the runtime puts in an actor's mailbox when a monitored actor ends (Down) and when a
 * linked actor ends while the receiver traps exits (Exit). Classes, so `msg instanceof Down` narrows the type; they
 * are messages, not errors.
 */
import { Pid } from './pid.ts'
import type { Ref } from './ref.ts'

/** What was monitored: a pid, a local name, or a name on another node. */
export type MonitorTarget = Pid | string | { name: string; node: string }

/** A monitored actor ended (or never existed: reason `'noproc'`; or its node was lost: `'noconnection'`). */
export class Down {
  readonly ref: Ref
  /** The monitored actor, as it was given to `monitor`. */
  readonly target: MonitorTarget
  readonly reason: unknown
  constructor(ref: Ref, target: MonitorTarget, reason: unknown) {
    this.ref = ref
    this.target = target
    this.reason = reason
  }
  /** The pid of the monitored actor when it was monitored by pid. */
  get pid(): Pid | undefined {
    return this.target instanceof Pid ? this.target : undefined
  }
}

/** A linked actor ended while this actor traps exits (or someone called `exit(self, reason)`). */
export class Exit {
  readonly from: Pid
  readonly reason: unknown
  constructor(from: Pid, reason: unknown) {
    this.from = from
    this.reason = reason
  }
}
