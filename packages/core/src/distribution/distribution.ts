/**
 * Distribution: the seam between an ActorSystem and other nodes. Core defines it and does no I/O itself;
 * `@cohort/transport` implements it over WebSockets and `@cohort/core/testing` over an in-memory network.
 *
 * Contract
 * - The system calls `sendMessage(to, from, msg)` for a message to a pid of another node, and `send(node, control)`
 *   for every other control message (never one of type `send`). The implementation delivers both to that node in
 *   the order given (per pair of nodes, so per pair of actors), while the connection lives, and may connect on
 *   demand.
 * - `send` returns `'ok'`, `'busy'` (queued, but the connection is above its high-water mark: the runtime pauses
 *   the sending actor until `drain(node)` resolves), or `'unreachable'` (not sent: no connection can be had; the
 *   runtime fires links and monitors with `'noconnection'` and drops the message as a dead letter).
 * - The implementation calls the endpoint the system returned from `attachDistribution` (`@cohort/core/distribution`):
 *   `deliver` for each control message that arrives, or one of its three fast paths for the commonest ones (a run of
 *   sends to one pid, a call, a reply), `nodeUp` when a connection is established, and `nodeDown` when it is lost.
 *   After `nodeDown` every link and monitor across that connection has fired with `'noconnection'` and every pending
 *   call to that node has rejected.
 * - The endpoint never throws: whatever goes wrong while the system handles what arrived is logged by the system, so
 *   one bad message cannot take down a connection or the node. A distribution needs no try/catch around it.
 *
 * The fast paths are declared here and nowhere else: a distribution calls them, the system implements them
 * (system/remote-delivery.ts), and the in-memory network of `@cohort/core/testing` takes them exactly as the transport
 * does, so the contract suite exercises them over both.
 */
import type { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import type { ControlMessage } from './control-message.ts'

/** What a control message send did. */
export type DistributionSendResult = 'ok' | 'busy' | 'unreachable'

/** What a system needs from the layer that reaches other nodes. */
export interface Distribution {
  /**
   * Sends a control message (any type but `send`) to `node`. `sender` is the actor on whose behalf it goes when the
   * message itself does not name it: the `down` for a monitor by name carries the name, but must still follow the
   * dying actor's last messages (as Erlang guarantees), so the implementation orders it after everything `sender`
   * sent before.
   */
  send(node: string, message: ControlMessage, sender?: Pid): DistributionSendResult
  /**
   * Sends `msg` from `from` (undefined outside actors) to the pid `to` of another node: what a `send` control message
   * would carry, without the object, as the commonest message deserves.
   */
  sendMessage(to: Pid, from: Pid | undefined, msg: unknown): DistributionSendResult
  /**
   * True when the distribution carries `call` and `reply` control messages: the system then sends a remote call as
   * one message (the monitor and the request) and its reply as one (the reply and the monitor's removal), instead of
   * `monitor`, `send`, `send` and `demonitor`. A call costs half the messages and no pids or refs in full.
   */
  readonly compactCalls?: boolean
  /**
   * Same as `send(node, { type: 'call', to, port, ref, request, from })`, without the object: the sending fast path of
   * a remote call, as `sendMessage` is of a send. Optional, beside `compactCalls`; without it the system uses `send`.
   */
  sendCall?(node: string, to: Pid | string, port: Pid, ref: Ref, request: unknown, from: Pid | undefined): DistributionSendResult
  /**
   * Writes what is queued for `node` now, in the caller's turn, instead of once the event loop's current pass is over.
   * Optional; without it everything leaves at the end of the pass as always. The replicated map calls it from `flush`,
   * so that a server can put its writes on the wire to its peers before it answers the client that made them.
   */
  flush?(node: string): void
  /**
   * The largest encoded message it sends, when it has a limit: cluster services (the replicated map's batches, the
   * snapshots of groups and presence) keep their messages to a quarter of it. Optional; without it they keep to 1 MiB.
   */
  readonly maxMessageBytes?: number
  /** Resolves when the queue of unsent bytes to `node` is below its low-water mark (at once if it is). */
  drain(node: string): Promise<void>
  /** The nodes connected now (visible ones; hidden nodes are not listed). */
  nodes(): string[]
}

/** Why a node went down, as the distribution saw it. */
export type NodeDownReason = 'noconnection' | 'leaving' | 'killed' | string

/** What the system gives the distribution, to hand it what arrives. None of its methods throws. */
export interface DistributionEndpoint {
  /**
   * A control message arrived from `fromNode`. For a message to an actor (`send`, `sendName`), returns a promise
   * when that actor's mailbox is over its pressure mark: the distribution should stop reading the connection it came
   * from until the promise resolves (receiving-side flow control; see `mailboxHighWaterMessages`). `bytes`, when
   * known, is what the message weighed on the wire (for `mailboxHighWaterBytes`).
   */
  deliver(fromNode: string, message: ControlMessage, bytes?: number): Promise<void> | undefined
  /**
   * Same as `deliver(fromNode, { type: 'send', to, from, msg })` for each `msg` of `msgs[start..end)`, in order,
   * without the objects and with one lookup of `to` (the receiving fast path: a run of messages to one actor).
   * Returns the recipient's pressure, as `deliver` does; `bytes` is what the run weighed on the wire, when known.
   */
  deliverSends(to: Pid, msgs: readonly unknown[], start: number, end: number, bytes?: number): Promise<void> | undefined
  /**
   * Same as `deliver(fromNode, { type: 'reply', to, ref, value, released })` where `to` is this node's pid `toId` and
   * `ref` its ref `refId`, both of incarnation `creation` (the receiving fast path of a call's reply: a call waiting
   * on its port gets the value without a pid, a ref, a control object or an envelope being built).
   */
  deliverReply(toId: number, refId: number, creation: number, value: unknown, released: boolean): void
  /**
   * Same as `deliver(fromNode, { type: 'call', to, port, ref, request })` where `to` is this node's pid `to` of
   * incarnation `toCreation`, or the name `to` (`toCreation` null), and `port` and `ref` are `fromNode`'s pid `portId`
   * and ref `refId` of incarnation `creation` (the receiving fast path of a call: no control object, nor a pid for
   * the callee). Returns the callee's pressure, as `deliver` does: a flood of calls is held back like one of sends.
   */
  deliverCall(fromNode: string, to: number | string, toCreation: number | null, portId: number, refId: number, creation: number, request: unknown, bytes?: number): Promise<void> | undefined
  /**
   * A connection to `node` is established. `hidden` marks a connection outside the mesh (the CLI, observers):
   * links and monitors work across it, but `monitorNodes` listeners do not see it unless they ask to.
   */
  nodeUp(node: string, info?: { hidden?: boolean }): void
  /** The connection to `node` was lost (or closed). */
  nodeDown(node: string, reason: NodeDownReason): void
}
