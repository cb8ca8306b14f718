/**
 * @cohort/cache — a replicated cache service over Cohort's replicated map: every node holds the whole data set, reads
 * stay on the node, writes replicate to every node; served over HTTP and a subset of the Redis protocol (RESP2).
 * `runCacheNode` is the whole service; the rest lets an application embed the pieces in its own process.
 */
export { runCacheNode } from './run-cache-node.ts'
export { startCacheTree, SupervisedCacheMap, CACHE_SUPERVISOR_NAME } from './cache-tree.ts'
export { loadCacheConfig, parseMemorySize, defaultMaxMemoryBytes, CACHE_CONFIG_VARIABLES, DEFAULT_CACHE_SETTINGS } from './cache-config.ts'
export { startRespServer, DEFAULT_RESP_SERVER_OPTIONS } from './resp-server.ts'
export { startHttpApi, DEFAULT_HTTP_API_OPTIONS } from './http-api.ts'
export { registerCacheMetrics } from './cache-metrics.ts'
export { RespParser, DEFAULT_RESP_LIMITS } from './resp-parser.ts'
export { RespWriter } from './resp-writer.ts'
export { COMMAND_TABLE, executeCommand, LOADING_ERROR, OOM_ERROR } from './command-table.ts'
export { runGetOrSet } from './get-set-fast-path.ts'
export { CommandSession } from './command-session.ts'
export { Password } from './password.ts'
export { MemoryLimit } from './memory-limit.ts'
export { keyFromBytes, keyFromText, keyToBytes, keyToText, keyFromUrlSegment, keyToUrlSegment } from './key-codec.ts'
export { matchesGlob } from './glob-pattern.ts'
export { CacheError, RespProtocolError, RequestTooLargeError } from './errors.ts'

export type { CacheMap, CacheChange } from './cache-map.ts'
export type { CacheTree, ReplicaOptions, StartReplica } from './cache-tree.ts'
export type { CacheProcess, CacheNode, StartCacheMap } from './run-cache-node.ts'
export type { CacheConfig, CacheSettings } from './cache-config.ts'
export type { RespServer, RespServerOptions } from './resp-server.ts'
export type { HttpApi, HttpApiOptions } from './http-api.ts'
export type { RespLimits } from './resp-parser.ts'
export type { CommandSpec } from './command-table.ts'
export type { ServerFacts } from './command-session.ts'
export type { RespStatsSource } from './cache-metrics.ts'
export type { SizedData } from './memory-limit.ts'
export type { CacheErrorCode } from './errors.ts'
