/**
 * startNode: turns this process into a node of a Cohort cluster. It creates the node's ActorSystem, listens with one
 * WebSocket server, dials peers on request (connect, a peer list, or a send to a node whose URL is known), and
 * implements core's Distribution over those connections. Composition roots call it once per process.
 */
import type { CohortNode } from './node/cohort-node.ts'
import { resolveNodeOptions } from './node/node-options.ts'
import type { NodeOptions } from './node/node-options.ts'
import { WebSocketNode } from './node/websocket-node.ts'

export type { CohortNode, NodeStats, PeerStats } from './node/cohort-node.ts'

/**
 * Starts a node: creates its ActorSystem, listens, and resolves once the server is bound.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for invalid options (synchronously, as a rejection)
 * @example
 * const node = await startNode({ name: 'a@127.0.0.1', cookie: 'secret', port: 0 })
 * await node.connect({ name: 'b@127.0.0.1', url: 'ws://127.0.0.1:4001' })
 * node.system.send({ name: 'echo', node: 'b@127.0.0.1' }, 'hello')
 */
export async function startNode(options: NodeOptions): Promise<CohortNode> {
  const node = new WebSocketNode(resolveNodeOptions(options))
  await node.listen()
  return node
}

