/**
 * Options of an ActorSystem: one object, one frozen defaults definition, validated once at construction.
 */
import { pino } from 'pino'
import type { Logger } from 'pino'
import { systemClock } from '../clock.ts'
import type { Clock } from '../clock.ts'
import { InvalidOptionError } from '../errors.ts'
import { isNodeName } from '../node-name.ts'
import { systemRandom } from '../random.ts'
import type { Random } from '../random.ts'

/** Options of `createActorSystem`. */
export interface ActorSystemOptions {
  /** This node's name, like `chat@10.0.0.5`. @default 'nonode@nohost' (Erlang's name for a node not distributed) */
  node?: string
  /** Incarnation number that tells pids of this run from those of an earlier run of the same node. @default random */
  creation?: number
  /** Time and timers. @default systemClock */
  clock?: Clock
  /** Randomness for ids and jitter. @default Math.random */
  random?: Random
  /** Logger; actors get children of it. @default a silent pino logger */
  logger?: Logger
  /**
   * Round-trip every local message through the wire codec, so what works locally is known to work remotely.
   * Costs a copy per message. @default false (on in `@cohort/core/testing`)
   */
  strictMessages?: boolean
  /**
   * Work an actor does per turn before the next actor runs: each message handled and each message sent counts one
   * (Erlang's reductions), so senders and receivers get fair shares. @default 100
   */
  messagesPerTurn?: number
  /** Time after which the scheduler yields to the event loop, so sockets and timers are never starved. @default 10 */
  timeSliceMs?: number
  /** Timeout of `call` when none is given. @default 5000 (as gen_server) */
  defaultCallTimeoutMs?: number
  /**
   * Receiving-side flow control: when a message from another node leaves an actor's mailbox at this many messages
   * or more, the distribution stops reading that connection until the actor has worked it down to half (TCP then
   * holds the sender back). Half of an actor's `maxMailbox` when that is lower. @default 10000
   */
  mailboxHighWaterMessages?: number
  /**
   * The same mark in bytes, as the distribution weighed the messages on the wire (an estimate: a moving average per
   * message times the depth), so that a few thousand large messages press as hard as ten thousand small ones.
   * @default 64 MiB
   */
  mailboxHighWaterBytes?: number
}

/** Options after defaults and validation. */
export interface ResolvedActorSystemOptions {
  readonly node: string
  readonly creation: number
  readonly clock: Clock
  readonly random: Random
  readonly logger: Logger
  readonly strictMessages: boolean
  readonly messagesPerTurn: number
  readonly timeSliceMs: number
  readonly defaultCallTimeoutMs: number
  readonly mailboxHighWaterMessages: number
  readonly mailboxHighWaterBytes: number
}

/** The defaults of every option that has a fixed default. */
export const DEFAULT_ACTOR_SYSTEM_OPTIONS: Readonly<{
  node: string
  strictMessages: boolean
  messagesPerTurn: number
  timeSliceMs: number
  defaultCallTimeoutMs: number
  mailboxHighWaterMessages: number
  mailboxHighWaterBytes: number
}> = Object.freeze({
  node: 'nonode@nohost',
  strictMessages: false,
  messagesPerTurn: 100,
  timeSliceMs: 10,
  defaultCallTimeoutMs: 5000,
  // Deep enough that a burst never stops a connection (a frame carries a few thousand small messages), shallow enough
  // that a stalled consumer holds megabytes, not gigabytes.
  mailboxHighWaterMessages: 10_000,
  mailboxHighWaterBytes: 64 * 1024 * 1024,
})

/** Merges `input` over the defaults and validates every field. @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) */
export function resolveActorSystemOptions(input: ActorSystemOptions = {}): ResolvedActorSystemOptions {
  const random = input.random ?? systemRandom
  const o = {
    node: input.node ?? DEFAULT_ACTOR_SYSTEM_OPTIONS.node,
    creation: input.creation ?? Math.floor(random() * 0xffffffff),
    clock: input.clock ?? systemClock,
    random,
    logger: input.logger ?? pino({ level: 'silent' }),
    strictMessages: input.strictMessages ?? DEFAULT_ACTOR_SYSTEM_OPTIONS.strictMessages,
    messagesPerTurn: input.messagesPerTurn ?? DEFAULT_ACTOR_SYSTEM_OPTIONS.messagesPerTurn,
    timeSliceMs: input.timeSliceMs ?? DEFAULT_ACTOR_SYSTEM_OPTIONS.timeSliceMs,
    defaultCallTimeoutMs: input.defaultCallTimeoutMs ?? DEFAULT_ACTOR_SYSTEM_OPTIONS.defaultCallTimeoutMs,
    mailboxHighWaterMessages: input.mailboxHighWaterMessages ?? DEFAULT_ACTOR_SYSTEM_OPTIONS.mailboxHighWaterMessages,
    mailboxHighWaterBytes: input.mailboxHighWaterBytes ?? DEFAULT_ACTOR_SYSTEM_OPTIONS.mailboxHighWaterBytes,
  }
  if (!isNodeName(o.node)) {
    throw new InvalidOptionError('node', o.node, 'a node name like "app@host"')
  }
  if (!Number.isSafeInteger(o.creation) || o.creation < 0) {
    throw new InvalidOptionError('creation', o.creation, 'a non-negative integer')
  }
  if (typeof o.strictMessages !== 'boolean') {
    throw new InvalidOptionError('strictMessages', o.strictMessages, 'a boolean')
  }
  positiveInteger('messagesPerTurn', o.messagesPerTurn)
  positiveInteger('mailboxHighWaterMessages', o.mailboxHighWaterMessages)
  positiveInteger('mailboxHighWaterBytes', o.mailboxHighWaterBytes)
  positiveNumber('timeSliceMs', o.timeSliceMs)
  positiveNumber('defaultCallTimeoutMs', o.defaultCallTimeoutMs)
  return Object.freeze(o)
}

/** @throws InvalidOptionError unless `value` is a positive integer. */
export function positiveInteger(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(option, value, 'a positive integer')
  }
}

/** @throws InvalidOptionError unless `value` is a positive finite number. */
export function positiveNumber(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(option, value, 'a positive number')
  }
}
