/**
 * Spawns node processes running a replicated map and a presence tracker (replicated-node.mjs), with the shared
 * spawn-node support for IPC requests and events. Every child is killed after each test.
 */
import { fileURLToPath } from 'node:url'
import { spawnNodeScript, waitNodesUp } from '../../support/spawn-node.ts'
import type { NodeProcess } from '../../support/spawn-node.ts'

const SCRIPT = fileURLToPath(new URL('./replicated-node.mjs', import.meta.url))

export interface ReplicatedNodeOptions {
  name: string
  tickMs?: number
}

/** Starts a node process running the replicated services. */
export function spawnReplicatedNode(options: ReplicatedNodeOptions): Promise<NodeProcess> {
  return spawnNodeScript(SCRIPT, options)
}

/** Starts `names` as node processes, connects them all to the first, and waits until each map sees every other. */
export async function spawnMesh(names: string[], options: Omit<ReplicatedNodeOptions, 'name'> = {}): Promise<NodeProcess[]> {
  const nodes = await Promise.all(names.map((name) => spawnReplicatedNode({ ...options, name })))
  const first = nodes[0]!
  for (const n of nodes.slice(1)) await n.request('connect', { name: first.name, url: first.url })
  for (const n of nodes) await waitNodesUp(n, nodes.filter((m) => m !== n).map((m) => m.name))
  // The services find their peers a message after nodeup; until then a write reaches a peer only by catch-up.
  for (const n of nodes) await n.request('waitPeers', { count: nodes.length - 1 })
  return nodes
}
