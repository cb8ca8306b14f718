/**
 * Pub-sub: topics on top of process groups. A topic is a group in a scope of its own, so `publish` is a group
 * broadcast: one copy per node that has subscribers, delivered there by that node's scope actor. Subscribers receive
 * the published message itself; a subscriber that exits is unsubscribed everywhere.
 *
 * Gotchas: delivery is at most once and ordered per publisher and node, like any send; a subscription made on one
 * node reaches publishers on other nodes one message later.
 */
import type { Pid } from '../pid.ts'
import type { ActorSystem } from '../system/actor-system.ts'
import { InvalidOptionError } from '../errors.ts'
import { startGroups } from './groups.ts'
import type { Groups, SendOptions } from './groups.ts'

/** Options of `startPubSub`. */
export interface PubSubOptions {
  /** The groups scope that holds the topics; start the same one on every node. @default 'pubsub' */
  scope?: string
}

/** The defaults of `startPubSub`. */
export const DEFAULT_PUB_SUB_OPTIONS: Readonly<{ scope: string }> = Object.freeze({ scope: 'pubsub' })

/** Topic pub-sub on one node. */
export interface PubSub extends AsyncDisposable {
  /** The groups scope of the topics (for monitoring subscriptions). */
  readonly groups: Groups
  /** Subscribes the local process `pid` to `topic` (once, however often it subscribes). @throws as `Groups.join` */
  subscribe(topic: string, pid: Pid): void
  unsubscribe(topic: string, pid: Pid): void
  /** Sends `msg` to every subscriber of `topic` in the cluster; returns how many it was addressed to. */
  publish(topic: string, msg: unknown, options?: SendOptions): number
  /** The subscribers of `topic` on every node, as this node knows them. */
  subscribers(topic: string): readonly Pid[]
  /** The topics with subscribers. */
  topics(): string[]
  /** Stops this node's topic scope. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts pub-sub on this node (start it on every node).
 * @example
 * const pubsub = startPubSub(system)
 * pubsub.subscribe('prices', ctx.self)
 * pubsub.publish('prices', { symbol: 'ACME', price: 12 })
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION); CohortError (COHORT_ERR_NAME_TAKEN) if the scope runs already
 */
export function startPubSub(system: ActorSystem, options: PubSubOptions = {}): PubSub {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object')
  const groups = startGroups(system, { scope: options.scope ?? DEFAULT_PUB_SUB_OPTIONS.scope })
  return {
    groups,
    subscribe: (topic, pid) => groups.join(topic, pid),
    unsubscribe: (topic, pid) => groups.leave(topic, pid),
    publish: (topic, msg, sendOptions) => groups.broadcast(topic, msg, sendOptions),
    subscribers: (topic) => groups.members(topic),
    topics: () => groups.whichGroups(),
    stop: () => groups.stop(),
    [Symbol.asyncDispose]: () => groups.stop(),
  }
}
