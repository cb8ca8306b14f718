/**
 * runCacheNode: the composition root of a cache node — configuration → logger → node → supervision tree (the
 * observer and the replica that owns the replicated map, cache-tree.ts) → cluster →
 * HTTP API and probes → RESP listener → graceful shutdown. It receives everything it needs from the host process
 * (env, signals, exit, output), so only main.ts touches `process`.
 *
 * Shutdown on SIGTERM: /readyz turns 503, the RESP listener closes (no new writes), the node waits (within the grace
 * period) until every peer has acknowledged the changes this node accepted, then leaves the cluster and stops.
 */
import type { ActorSystem } from '@cohort/core'
import { createMetricsRegistry, DEFAULT_JOIN_CLUSTER_OPTIONS, installGracefulShutdown, joinCluster, logDestination, nodeOptionsFromConfig, observerChild, observerRequestHandler, strategyFromConfig } from '@cohort/discovery'
import type { Cluster } from '@cohort/discovery'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'
import { pino } from 'pino'
import type { Logger } from 'pino'
import type { CacheMap } from './cache-map.ts'
import type { ReplicaOptions } from './cache-tree.ts'
import { loadCacheConfig } from './cache-config.ts'
import type { CacheConfig } from './cache-config.ts'
import { registerCacheMetrics } from './cache-metrics.ts'
import { startCacheTree } from './cache-tree.ts'
import { FirstCatchUp } from './first-catch-up.ts'
import { startHttpApi } from './http-api.ts'
import type { HttpApi } from './http-api.ts'
import { startRespServer } from './resp-server.ts'
import { MemoryLimit } from './memory-limit.ts'
import { Password } from './password.ts'
import type { RespServer } from './resp-server.ts'

/** What a cache node process receives from its host process. */
export interface CacheProcess {
  env: Readonly<Record<string, string | undefined>>
  /** Where SIGTERM/SIGINT come from (`process`). */
  signals: { on(signal: string, listener: (signal: string) => void): unknown; off(signal: string, listener: (signal: string) => void): unknown }
  exit(code: number): void
  /** Writes one JSON line of output (the `ready` event) for whoever started the process. */
  writeEvent(event: Record<string, unknown>): void
  /** Log destination. @default stderr */
  logDestination?: pino.DestinationStream
}

/** Starts the replicated map of a node (`startReplicatedMap` from @cohort/core). */
export type StartCacheMap = (system: ActorSystem, options: ReplicaOptions) => CacheMap

/**
 * The transport's largest message for a node whose largest value is `maxRequestBytes` (CACHE_MAX_REQUEST_BYTES): a
 * replication batch is cut at 1 MiB and may end with one value of that size, so the default 8 MiB, or that value and
 * 4 MiB to spare. Every node of a cluster reads the same setting, so what one sends the others accept.
 */
export function cacheMessageBytes(maxRequestBytes: number): number {
  return Math.max(8 * 1024 * 1024, maxRequestBytes + 4 * 1024 * 1024)
}

/** A running cache node. */
export interface CacheNode {
  config: CacheConfig
  node: CohortNode
  map: CacheMap
  cluster: Cluster
  http: HttpApi
  resp: RespServer | undefined
  logger: Logger
}

/**
 * Between a replica's crash and its supervisor's restart the servers would read an emptied map: they answer as while
 * loading, with this reason, until the new replica starts (and then until it has caught up).
 */
const REPLICA_RESTARTING = 'no replica: the last one stopped, its data with it, and no new one has started yet'

/**
 * Beyond discovery's longest redial delay, what a restarted node waits alone before it counts as the first: a peer's
 * dial to the node's old address may hang for the handshake's timeout (5 s) before that delay even starts.
 */
const ALONE_MARGIN_MS = 10_000

/** What shutdown keeps of its grace period for leaving the cluster and stopping, after it waited for its peers. */
const LEAVE_MARGIN_MS = 1_000

export async function runCacheNode(proc: CacheProcess, startMap: StartCacheMap): Promise<CacheNode> {
  const config = await loadCacheConfig({ env: proc.env })
  const { cohort, cache } = config
  const logger = pino(
    { name: 'cohort-cache', level: cohort.logLevel, redact: ['cookie', '*.cookie'] },
    proc.logDestination ?? logDestination(),
  )
  const node = await startNode({ ...nodeOptionsFromConfig(cohort), logger, maxMessageBytes: cacheMessageBytes(cache.maxRequestBytes) })
  const system = node.system
  const now = (): number => system.clock.now()
  // The supervision tree: the cluster observer first (the page at /observer, `cohort status`; it reports the tree
  // it runs under), then the replica that owns the map. Both stop with the system.
  // Any value a request can carry must cross to the peers: the map's entry limit is the request limit.
  const { map } = await startCacheTree(system, startMap, { scope: cache.scope, maxEntryBytes: cache.maxRequestBytes }, [observerChild(system, { traffic: node })])
  const cluster = joinCluster(node, strategyFromConfig(cohort.discovery), { logger })
  // Cut off (every peer refused its handshake) is not ready, but it joined once.
  const members = { joined: () => cluster.ready || cluster.cutOff, cutOff: () => cluster.cutOff, members: () => cluster.members() }
  // Past every peer's next redial: a restarted node that others dial is alone until then, not the first of its cluster.
  const aloneMs = Math.min(cache.readyCatchUpMs, DEFAULT_JOIN_CLUSTER_OPTIONS.reconnectMaxMs + ALONE_MARGIN_MS)
  const firstCatchUp = new FirstCatchUp(map, members, {
    maxWaitMs: cache.readyCatchUpMs,
    aloneMs,
    now,
    onGiveUp: (what, pending) => {
      if (what === 'catch-up') logger.warn({ pending, waitedMs: cache.readyCatchUpMs }, 'ready without a catch-up with every peer: CACHE_READY_CATCH_UP_MS passed (a peer of an older version, or one that runs no cache?)')
      else logger.warn({ waitedMs: cache.readyCatchUpMs }, `serving what this node holds though it ${what === 'join' ? 'has not joined (discovery has not succeeded)' : 'is cut off from its peers'} after CACHE_READY_CATCH_UP_MS; /readyz stays 503`)
    },
    onAlone: () => logger.info({ aloneMs }, 'alone in the cluster: holding all the data there is, so nodes that join catch up from this one without it waiting'),
  })
  node.on('nodeup', () => firstCatchUp.connected())
  let resp: RespServer | undefined
  let shuttingDown = false
  /** Why the node may not hold its peers' data yet, if it may not: what RESP's LOADING and /kv's 503 wait for. */
  const notLoadedReason = (): string | undefined => {
    // Shutdown stops the map: what is left of the node's life is not a replica's restart.
    if (map.stopped) return shuttingDown ? 'shutting down' : REPLICA_RESTARTING
    return firstCatchUp.notDoneReason()
  }
  const registry = createMetricsRegistry({ transport: node, processes: system, discovery: cluster }, logger)
  let http: HttpApi | undefined
  const memoryLimit = new MemoryLimit(cache.maxMemoryBytes)
  registerCacheMetrics(registry, map, () => resp, () => http?.connections, memoryLimit)
  const password = cache.password === undefined ? undefined : new Password(cache.password)
  http = await startHttpApi({
    map,
    port: cohort.probes.port,
    host: cohort.probes.host,
    now,
    maxValueBytes: cache.maxRequestBytes,
    maxConnections: cache.maxHttpConnections,
    isAlive: () => system.isAlive(map.pid),
    notReadyReasons: () => {
      const failing: string[] = []
      if (shuttingDown) failing.push('shutting down')
      // Not joined, or cut off: not ready, however long it lasts (CACHE_READY_CATCH_UP_MS ends only the LOADING).
      const unjoined = cluster.notReadyReason
      const notLoaded = unjoined ?? (shuttingDown ? undefined : notLoadedReason())
      if (notLoaded !== undefined) failing.push(notLoaded)
      return failing
    },
    registry,
    observe: observerRequestHandler({ system }),
    ...(password === undefined ? {} : { password }),
    memoryLimit,
    notLoadedReason,
    cluster: () => ({
      node: node.name,
      scope: map.scope,
      connected: node.nodes(),
      members: cluster.members(),
      replication: { peers: map.peers(), caughtUp: map.caughtUp(), ...map.stats() },
    }),
    logger,
  })
  if (cache.redisPort !== undefined) {
    resp = await startRespServer({
      map,
      port: cache.redisPort,
      host: cache.redisHost,
      now,
      nodeName: node.name,
      limits: { maxRequestBytes: cache.maxRequestBytes },
      maxClients: cache.maxClients,
      ...(password === undefined ? {} : { password }),
      memoryLimit,
      loading: () => notLoadedReason() !== undefined,
      logger,
    })
  }

  installGracefulShutdown({
    signals: proc.signals,
    drainDelayMs: cohort.shutdown.drainDelayMs,
    gracePeriodMs: cohort.shutdown.gracePeriodMs,
    setNotReady: () => {
      shuttingDown = true
      resp?.stopAccepting()
    },
    leave: async () => {
      await resp?.close()
      // What this node accepted is held by its peers before it goes, each confirming it (WAIT's replicatedTo). The
      // grace period bounds the wait, less what leaving takes: a peer that never confirms (one of an earlier
      // version) is given up on before the deadline would exit 1.
      const started = system.clock.now()
      const peers = map.peers()
      const waitMs = Math.max(1, cohort.shutdown.gracePeriodMs - cohort.shutdown.drainDelayMs - LEAVE_MARGIN_MS)
      const confirmed = peers.length === 0 ? [] : await map.replicatedTo({ atLeast: peers.length, timeoutMs: waitMs }).catch(() => [])
      const missing = peers.filter((peer) => !confirmed.includes(peer))
      const took = { durationMs: system.clock.now() - started, peers: confirmed }
      if (missing.length === 0) logger.info(took, 'replication drained')
      else logger.warn({ ...took, missing }, 'replication drained without a confirmation from every peer')
      await map.stop()
      await cluster.stop()
      await node.leave()
    },
    stopTree: async () => {
      await system.shutdown()
      await http.close()
    },
    exit: proc.exit,
    logger,
  })
  proc.writeEvent({
    type: 'ready',
    node: node.name,
    url: node.url,
    http: http.url,
    redisPort: resp?.port ?? null,
  })
  return { config, node, map, cluster, http, resp, logger }
}
