/**
 * The two styles an actor can be written in, over one runtime: a server behaviour (gen_server-like callbacks,
 * see server-behaviour.ts) and a process function (an async function with selective receive, see
 * process-function.ts). A named behaviour (a string) refers to one registered with `ActorSystem.define`.
 */
import type { ServerBehaviour } from './server-behaviour.ts'
import type { ProcessFunction } from './process-function.ts'

/** Anything that can be spawned with start arguments of type `A`. */
export type Behaviour<A = any> = ServerBehaviour<any, A> | ProcessFunction<A>

/** True when `b` is a process function rather than a server behaviour. */
export function isProcessFunction(b: Behaviour): b is ProcessFunction {
  return typeof b === 'function'
}
