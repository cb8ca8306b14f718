/**
 * runPgPoolNode: the example's composition root, a Cohort node whose tree holds the pool — configuration → logger →
 * node → supervision tree → cluster → probes (with the pool's readiness and metrics) → HTTP API → graceful shutdown.
 * It receives env, signals, exit and an event writer from main.ts, so only main.ts touches `process`.
 */
import { supervisor } from '@cohort/core'
import type { Pid } from '@cohort/core'
import { installGracefulShutdown, joinCluster, loadConfig, logDestination, nodeOptionsFromConfig, startProbeServer, strategyFromConfig } from '@cohort/discovery'
import type { ProbeServer } from '@cohort/discovery'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'
import { pino } from 'pino'
import { startHttpApi } from './http-api.ts'
import type { HttpApi } from './http-api.ts'
import { loadPgPoolConfig } from './pg-pool-config.ts'
import { registerPoolMetrics } from './pool-metrics.ts'
import { createPool } from './pool.ts'
import type { Pool } from './pool.ts'

/** What the node receives from its process. */
export interface ExampleProcess {
  env: Readonly<Record<string, string | undefined>>
  signals: { on(signal: string, listener: (signal: string) => void): unknown; off(signal: string, listener: (signal: string) => void): unknown }
  exit(code: number): void
  /** Writes one JSON event line (`ready`, pool events) for whoever runs the node. */
  writeEvent(event: Record<string, unknown>): void
}

/** The running node. */
export interface RunningPgPoolNode {
  node: CohortNode
  root: Pid
  pool: Pool
  probes: ProbeServer
  http: HttpApi
}

export async function runPgPoolNode(proc: ExampleProcess): Promise<RunningPgPoolNode> {
  const config = await loadConfig({ env: proc.env })
  const app = await loadPgPoolConfig(proc.env)
  const logger = pino({ name: 'pg-pool', level: config.logLevel, redact: ['cookie', '*.cookie', '*.password'] }, logDestination())
  const node = await startNode({ ...nodeOptionsFromConfig(config), logger })
  const system = node.system
  const pool = createPool(system, app.pool)
  pool.on('connectionUp', (e) => proc.writeEvent({ type: 'connectionUp', ...e }))
  pool.on('connectionDown', (e) => proc.writeEvent({ type: 'connectionDown', ...e }))
  pool.on('gaveUp', (e) => {
    logger.error({ reason: e.reason, attempt: e.attempt }, 'the pool gave up on the database for now')
    proc.writeEvent({ type: 'gaveUp', ...e })
  })
  const root = await system.start(supervisor({ name: 'root', strategy: 'oneForOne', children: [pool.childSpec] }))
  const cluster = joinCluster(node, strategyFromConfig(config.discovery, { env: proc.env }), { logger })
  const probes = await startProbeServer({
    ...config.probes,
    isAlive: () => system.isAlive(root),
    cluster,
    readinessChecks: { 'pg pool': () => pool.isReady() },
    metrics: { transport: node, processes: system, restarts: { restarts: () => pool.stats().restarts }, discovery: cluster },
    logger,
  })
  registerPoolMetrics(probes.registry, pool)
  const http = await startHttpApi({ ...app.http, pool, logger })
  installGracefulShutdown({
    signals: proc.signals,
    ...config.shutdown,
    setNotReady: () => probes.setNotReady(),
    leave: async () => {
      await cluster.stop()
      await node.leave()
    },
    stopTree: async () => {
      await http.close()
      await system.shutdown()
      await node.close()
      await probes.close()
    },
    exit: proc.exit,
    logger,
  })
  proc.writeEvent({ type: 'ready', node: node.name, url: node.url, probes: probes.url, http: http.url })
  return { node, root, pool, probes, http }
}
