/**
 * Spawns node processes that run the cluster services (cluster-node.mjs), reusing NodeProcess from the shared
 * spawn-node support for IPC requests and events. Readiness is the child's `ready` message; every child is killed
 * after each test.
 */
import { fileURLToPath } from 'node:url'
import { spawnNodeScript } from '../../support/spawn-node.ts'
import type { NodeProcess } from '../../support/spawn-node.ts'

const SCRIPT = fileURLToPath(new URL('./cluster-node.mjs', import.meta.url))

export interface ClusterNodeOptions {
  name: string
  /** Run a manager of the 'ticker' singleton. */
  singleton?: boolean
  tickMs?: number
}

/** Starts a node process running the cluster services; killed after the test by the shared support. */
export function spawnClusterNode(options: ClusterNodeOptions): Promise<NodeProcess> {
  return spawnNodeScript(SCRIPT, options)
}
