/**
 * The two messages of a call as processes see them, built and recognised here only: the request a callee receives
 * (`CallRequest`, `{ $cohort: 'call', from: { pid, ref }, request }`) and the reply its port receives
 * (`{ $cohort: 'reply', ref, value }`). A call sent locally, a call or reply arriving from another node, and a
 * reply handed to a port without one all make the same shapes.
 */
import type { CallRequest } from '../actor/server-behaviour.ts'
import type { Pid } from '../pid.ts'
import { Ref } from '../ref.ts'

/** A call's reply as its port (or an actor a hand-made `From` named) receives it. */
export interface CallReply {
  readonly $cohort: 'reply'
  readonly ref: Ref
  readonly value: unknown
}

/** The request `request` from the call whose reply port is `port`, tagged `ref`. */
export function callRequest(port: Pid, ref: Ref, request: unknown): CallRequest {
  return { $cohort: 'call', from: { pid: port, ref }, request }
}

export function callReply(ref: Ref, value: unknown): CallReply {
  return { $cohort: 'reply', ref, value }
}

/** True when `msg` is the reply to the call tagged `ref`. */
export function isReplyTo(msg: unknown, ref: Ref): msg is CallReply {
  return typeof msg === 'object' && msg !== null && (msg as { $cohort?: unknown }).$cohort === 'reply' && ref.equals((msg as CallReply).ref)
}
