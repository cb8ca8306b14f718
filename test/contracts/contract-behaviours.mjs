/**
 * The behaviours the Distribution contract suite spawns on the remote node with `spawnOn`. Plain JavaScript, so a
 * child node process (test/support/node-process.mjs) defines exactly what the in-process side defines.
 */

/** Answers every call with its request. */
export const echo = {
  name: 'echo',
  init: () => null,
  handleCall: (request, _from, state) => ({ reply: request, state }),
}

/** Keeps every message it is sent; the call 'get' returns them in arrival order. */
export const collector = {
  name: 'collector',
  init: () => [],
  handleCall: (request, _from, state) => (request === 'get' ? { reply: state, state } : { reply: 'unknown request', state }),
  handleInfo: (msg, state) => {
    state.push(msg)
    return state
  },
}

/** Ends when told: the cast 'crash' throws, 'quit' stops with reason 'bye'. */
export const quitter = {
  name: 'quitter',
  init: () => null,
  handleCall: (_request, _from, state) => ({ noreply: state }),
  handleCast: (request, state) => {
    if (request === 'crash') throw new Error('contract crash')
    if (request === 'quit') return { stop: 'bye' }
    return state
  },
}

/** Replies to `{ from, value }` messages: the actor a delegator hands its calls to. */
const replier = {
  name: 'replier',
  init: () => null,
  handleInfo: ({ from, value }, state, ctx) => {
    ctx.reply(from, value)
    return state
  },
}

/** Answers every call with its request, but from another actor (a gen_server handing its caller on). */
export const delegator = {
  name: 'delegator',
  init: (_args, ctx) => ctx.spawnLink(replier),
  handleCall: (request, from, replierPid, ctx) => {
    ctx.send(replierPid, { from, value: request })
    return { noreply: replierPid }
  },
}

/** Sends `count` messages `0..count-1` to the pid `to`, then waits. */
export const sender = {
  name: 'sender',
  init: ({ to, count }, ctx) => {
    for (let i = 0; i < count; i++) ctx.send(to, i)
    return null
  },
}

/** Calls `target` with `request` and answers with what it replied: a call from this node to the caller's. */
export const relay = {
  name: 'relay',
  init: () => null,
  handleCall: async ({ target, request }, _from, state, ctx) => ({ reply: await ctx.call(target, request), state }),
}

/** Defines every contract behaviour on `system`. */
export function defineContractBehaviours(system) {
  system.define('echo', echo)
  system.define('collector', collector)
  system.define('quitter', quitter)
  system.define('delegator', delegator)
  system.define('sender', sender)
  system.define('relay', relay)
  // How many monitors others hold on the pid called with, as this node sees it.
  system.define('inspector', {
    name: 'inspector',
    init: () => null,
    handleCall: (pid, _from, state) => ({ reply: system.processes().find((p) => p.pid.equals(pid))?.monitoredBy, state }),
  })
}
