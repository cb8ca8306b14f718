/**
 * The demo's services: a `greeter` (a server behaviour that answers `'hello'` and crashes on request) and a
 * `chatter` (a process function that greets the greeter of every other node once a second). They show location
 * transparency (`{ name, node }` addressing), supervision (the greeter is restarted) and `noconnection` (calls to a
 * killed node fail at once).
 */
import { isCohortError } from '@cohort/core'
import type { ActorSystem, ProcessCtx, ServerBehaviour } from '@cohort/core'

/** Something the demo prints; nodes write these as JSON lines. */
export type DemoEvent =
  | { type: 'reply'; from: string; text: string }
  | { type: 'callFailed'; to: string; code: string }

/** Answers 'hello' with its node and incarnation; the cast 'crash' makes it throw (the supervisor restarts it). */
export function greeter(node: string): ServerBehaviour<{ startedAt: number; served: number }, void> {
  return {
    name: 'greeter',
    init: () => ({ startedAt: Date.now(), served: 0 }),
    handleCall: (request: string, _from, state) => ({
      reply: `${request === 'hello' ? 'hello' : 'what?'} from ${node} (greeter started ${new Date(state.startedAt).toISOString().slice(11, 23)}, served ${state.served + 1})`,
      state: { ...state, served: state.served + 1 },
    }),
    handleCast: (request: string, state) => {
      if (request === 'crash') throw new Error('crash requested by the demo')
      return state
    },
  }
}

/** Greets every other node's greeter every `intervalMs`, reporting each reply or failure through `emit`. */
export function chatter(system: ActorSystem, emit: (event: DemoEvent) => void, intervalMs: number) {
  return async function chatter(ctx: ProcessCtx): Promise<void> {
    for (;;) {
      // Nothing ever matches: this is a sleep that ends the way Erlang's `receive after` does.
      await ctx.receive(() => false, intervalMs)
      for (const node of system.nodes()) {
        ctx
          .call<string>({ name: 'greeter', node }, 'hello', 1000)
          .then(
            (text) => emit({ type: 'reply', from: node, text }),
            (error: unknown) => emit({ type: 'callFailed', to: node, code: isCohortError(error) ? error.code : String(error) }),
          )
      }
    }
  }
}
