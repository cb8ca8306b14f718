/**
 * The observer: a small server behaviour every node started by `cohort start` runs under the name
 * `cohort_observer`, so that `cohort cluster` and `cohort ping` (hidden nodes) can ask a node about itself: its
 * peers, its actors with their mailbox depths, and its supervision tree.
 */
import { whichChildren } from '@cohort/core'
import type { ActorSystem, Ctx, Pid, ServerBehaviour } from '@cohort/core'

/** The name the observer is registered under on every node. */
export const OBSERVER_NAME = 'cohort_observer'

/** One node of a supervision tree as `cohort cluster` prints it. */
export interface TreeNode {
  id: string
  pid: string | undefined
  type: 'worker' | 'supervisor'
  children: TreeNode[]
}

/** What the observer answers to `'info'`. */
export interface NodeInfo {
  node: string
  nodes: string[]
  actors: number
  deadLetters: number
  largestMailboxes: { pid: string; name: string | undefined; behaviour: string; mailboxDepth: number }[]
  tree: TreeNode[]
}

/** The observer behaviour; `root` is the supervisor whose tree `'info'` reports. */
export function observer(system: ActorSystem): ServerBehaviour<null, void> {
  return {
    name: 'observer',
    init: () => null,
    async handleCall(request: 'ping' | 'info', _from, state, ctx) {
      if (request === 'ping') return { reply: { node: system.node, at: Date.now() }, state }
      const processes = system.processes()
      const info: NodeInfo = {
        node: system.node,
        nodes: system.nodes(),
        actors: processes.length,
        deadLetters: system.stats().deadLetters,
        largestMailboxes: processes
          .sort((a, b) => b.mailboxDepth - a.mailboxDepth)
          .slice(0, 5)
          .map((p) => ({ pid: String(p.pid), name: p.name, behaviour: p.behaviour, mailboxDepth: p.mailboxDepth })),
        tree: ctx.parent === undefined ? [] : await supervisionTree(ctx, ctx.parent, ctx.self),
      }
      return { reply: info, state }
    },
  }
}

async function supervisionTree(ctx: Ctx, sup: Pid, self: Pid): Promise<TreeNode[]> {
  const children = await whichChildren(ctx, sup)
  const out: TreeNode[] = []
  for (const c of children) {
    const node: TreeNode = { id: c.id, pid: c.pid === undefined ? undefined : String(c.pid), type: c.type, children: [] }
    if (c.type === 'supervisor' && c.pid !== undefined && !c.pid.equals(self)) node.children = await supervisionTree(ctx, c.pid, self)
    out.push(node)
  }
  return out
}
