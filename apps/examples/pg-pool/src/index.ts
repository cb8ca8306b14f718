/**
 * @cohort/example-pg-pool — a PostgreSQL connection pool as a supervision tree that heals itself: createPool, its
 * errors and metrics, and runPgPoolNode, the example node that serves it over HTTP with probes and graceful shutdown.
 */
export { createPool } from './pool.ts'
export { DEFAULT_POOL_OPTIONS, MAX_TIMEOUT_MS, resolvePoolOptions } from './pool-options.ts'
export { PoolError, isPoolError } from './pool-error.ts'
export { classifyQueryError } from './query-outcome.ts'
export { registerPoolMetrics } from './pool-metrics.ts'
export { loadPgPoolConfig, PG_POOL_VARIABLES } from './pg-pool-config.ts'
export { runPgPoolNode } from './pg-pool-node.ts'

export type { Pool, Lease, QueryOptions, QueryResult } from './pool.ts'
export type { PoolOptions, ResolvedPoolOptions, GiveUpPolicy } from './pool-options.ts'
export type { PoolErrorCode } from './pool-error.ts'
export type { PoolEvents, PoolStats } from './pool-status.ts'
export type { PoolSnapshot } from './pool-manager.ts'
export type { FailureKind, QueryOutcome } from './query-outcome.ts'
export type { PgPoolConfig } from './pg-pool-config.ts'
export type { ExampleProcess, RunningPgPoolNode } from './pg-pool-node.ts'
