/**
 * The cache's Prometheus metrics, added to the node's registry (which already has Cohort's transport, process and
 * discovery metrics and prom-client's process metrics, memory included): keys, tombstones, replication deltas still
 * waiting per peer (the replication lag), RESP connections and commands, connections refused at either port's cap, and
 * the data set's size against `CACHE_MAX_MEMORY` with the writes refused past it.
 * Read from their sources at scrape time.
 */
import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import type { ConnectionLimit } from '@cohort/discovery'
import type { CacheMap } from './cache-map.ts'
import type { MemoryLimit } from './memory-limit.ts'

/** Where the RESP figures come from (the RESP server, when it runs). */
export interface RespStatsSource {
  readonly connections: number
  readonly commandsProcessed: number
  readonly refusedClients: number
}

/** Registers the cache's gauges on `registry`. */
export function registerCacheMetrics(
  registry: Registry,
  map: CacheMap,
  resp: () => RespStatsSource | undefined,
  http: () => ConnectionLimit | undefined,
  memoryLimit: MemoryLimit,
): void {
  new Gauge({
    name: 'cohort_cache_data_bytes',
    help: "The memory this node's copy of the data set takes, approximately: keys, values and 256 bytes an entry",
    registers: [registry],
    collect() {
      this.set(map.bytes)
    },
  })
  new Gauge({
    name: 'cohort_cache_max_memory_bytes',
    help: 'CACHE_MAX_MEMORY: past it, writes are refused (0: no limit)',
    registers: [registry],
    collect() {
      this.set(memoryLimit.maxBytes)
    },
  })
  new Counter({
    name: 'cohort_cache_writes_refused_total',
    help: 'Writes refused because the data set was past CACHE_MAX_MEMORY (RESP commands and HTTP PUTs)',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(memoryLimit.refused)
    },
  })
  new Gauge({
    name: 'cohort_cache_keys',
    help: 'Live keys held by this node (every node holds every key)',
    registers: [registry],
    collect() {
      this.set(map.size)
    },
  })
  new Gauge({
    name: 'cohort_cache_tombstones',
    help: 'Deleted keys remembered until every peer has seen the delete',
    registers: [registry],
    collect() {
      this.set(map.stats().tombstones)
    },
  })
  new Gauge({
    name: 'cohort_cache_replication_pending',
    help: 'Changed keys not yet sent to a peer (the replication lag), by peer',
    labelNames: ['peer'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [peer, pending] of Object.entries(map.stats().pendingByPeer)) this.set({ peer }, pending)
    },
  })
  new Gauge({
    name: 'cohort_cache_resp_connections',
    help: 'Open RESP (Redis protocol) connections',
    registers: [registry],
    collect() {
      this.set(resp()?.connections ?? 0)
    },
  })
  new Counter({
    name: 'cohort_cache_resp_commands_total',
    help: 'RESP commands processed since start',
    registers: [registry],
    collect() {
      // The RESP server keeps the count; the counter mirrors it at scrape time.
      this.reset()
      this.inc(resp()?.commandsProcessed ?? 0)
    },
  })
  new Counter({
    name: 'cohort_cache_resp_refused_total',
    help: 'RESP connections refused because CACHE_MAX_CLIENTS were open',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(resp()?.refusedClients ?? 0)
    },
  })
  new Counter({
    name: 'cohort_cache_http_connections_refused_total',
    help: 'HTTP connections closed on arrival because CACHE_MAX_HTTP_CONNECTIONS were open',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(http()?.refused ?? 0)
    },
  })
}
