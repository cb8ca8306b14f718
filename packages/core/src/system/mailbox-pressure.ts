/**
 * Mailbox bounds and inbound pressure. An actor may be spawned with `maxMailbox`: a message arriving at a full mailbox
 * is dropped as a dead letter (`'overflow'`) or ends the actor (`mailboxOverflow: 'exit'`). Independently, every
 * actor has a pressure mark (`mailboxHighWaterMessages`, or half of `maxMailbox` when that is lower, and
 * `mailboxHighWaterBytes`): when a message from another node leaves its mailbox at or above either, the endpoint
 * hands the distribution a `Relief`, a promise that resolves once the mailbox has fallen to half of both (or the
 * actor ended). Bytes are estimated: the distribution says what each delivery weighed on the wire, and the actor
 * keeps a moving average per message, so that 10,000 messages of 1 MiB press as hard as they weigh. The transport stops reading that
 * one connection until then, so TCP pushes back on the sender instead of the mailbox growing without bound.
 *
 * Gotchas: while a connection is not read, replies arriving on it wait too; an actor that fell behind and calls the
 * node flooding it gets its reply once it has worked its mailbox down, or a call timeout.
 */
import { InvalidOptionError } from '../errors.ts'

/** What happens to a message that arrives at a full mailbox. */
export type MailboxOverflow = 'dropNewest' | 'exit'

/** The exit reason of an actor whose mailbox overflowed with `mailboxOverflow: 'exit'`. */
export const MAILBOX_OVERFLOW_REASON = 'mailboxOverflow'

/** An actor's bound and pressure mark, resolved once at spawn. */
export interface MailboxLimits {
  /** Messages the mailbox may hold; Infinity when unbounded. */
  readonly maxMessages: number
  readonly overflow: MailboxOverflow
  /** Depth at which remote deliveries report pressure. */
  readonly pressureAt: number
  /** Estimated bytes at which remote deliveries report pressure. */
  readonly pressureBytes: number
}

/** Unbounded, with the system's pressure mark: the limits of an actor spawned without mailbox options. */
export function defaultLimits(highWaterMessages: number, highWaterBytes: number): MailboxLimits {
  return { maxMessages: Infinity, overflow: 'dropNewest', pressureAt: highWaterMessages, pressureBytes: highWaterBytes }
}

/** Validates and resolves spawn options' `maxMailbox` and `mailboxOverflow`. @throws InvalidOptionError */
export function resolveMailboxLimits(maxMailbox: unknown, overflow: unknown, highWaterMessages: number, highWaterBytes: number): MailboxLimits {
  if (maxMailbox === undefined && overflow === undefined) return defaultLimits(highWaterMessages, highWaterBytes)
  const max = maxMailbox ?? Infinity
  if (max !== Infinity && (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1)) {
    throw new InvalidOptionError('maxMailbox', max, 'a positive integer')
  }
  const o = overflow ?? 'dropNewest'
  if (o !== 'dropNewest' && o !== 'exit') throw new InvalidOptionError('mailboxOverflow', o, "'dropNewest' or 'exit'")
  const maxMessages = max as number
  return { maxMessages, overflow: o, pressureAt: Math.max(1, Math.min(highWaterMessages, Math.ceil(maxMessages / 2))), pressureBytes: highWaterBytes }
}

/**
 * An actor's intake: the limits of its mailbox, what messages from other nodes weigh, and the relief they are owed.
 * Made when the actor is spawned with mailbox options or first gets a message from another node: most actors never
 * do, and their unbounded mailbox needs no check. Three fields of every actor would be 24 bytes of every spawn.
 */
export class Intake {
  readonly limits: MailboxLimits
  /** Moving average of what a message weighed on the wire (0 until a delivery said). */
  bytesPerMessage = 0
  /** Set while a delivery found the mailbox over its pressure mark. */
  relief: Relief | null = null

  constructor(limits: MailboxLimits) {
    this.limits = limits
  }
}

/** A mailbox over its pressure mark: `promise` resolves once it has fallen to `releaseAt` messages and `releaseBytes`. */
export class Relief {
  readonly promise: Promise<void>
  readonly releaseAt: number
  readonly releaseBytes: number
  #resolve: () => void = () => undefined

  constructor(releaseAt: number, releaseBytes: number) {
    this.releaseAt = releaseAt
    this.releaseBytes = releaseBytes
    this.promise = new Promise<void>((resolve) => {
      this.#resolve = resolve
    })
  }

  release(): void {
    this.#resolve()
  }
}
