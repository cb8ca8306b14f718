/**
 * The example node's own settings, read from environment variables beside the COHORT_* ones that `loadConfig` reads:
 * where the database is (the libpq names PGHOST, PGPORT…, so `psql` and the node agree), the pool's shape, and where
 * the HTTP API listens. A malformed value rejects with InvalidConfigError naming the variable.
 */
import { readFile } from 'node:fs/promises'
import { InvalidConfigError } from '@cohort/discovery'
import type { PoolOptions } from './pool-options.ts'

/** Every variable read here, with its default. */
export const PG_POOL_VARIABLES: Readonly<Record<string, string>> = Object.freeze({
  PGHOST: '127.0.0.1',
  PGPORT: '5432',
  PGUSER: 'postgres',
  PGPASSWORD: '(none)',
  PGDATABASE: 'postgres',
  POOL_SIZE: '4',
  POOL_MAX_WAITING: '100',
  POOL_CHECKOUT_TIMEOUT_MS: '5000',
  POOL_QUERY_TIMEOUT_MS: '5000',
  POOL_ON_GIVE_UP: 'backoff',
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: '8080',
})

/** The example's settings. */
export interface PgPoolConfig {
  pool: PoolOptions
  http: { host: string; port: number }
}

function integer(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidConfigError(name, `expected an integer in ${min}..${max}, got ${JSON.stringify(raw)}`)
  }
  return value
}

/** Reads the settings; PGPASSWORD may come from a mounted file named by PGPASSWORD_FILE. */
export async function loadPgPoolConfig(env: Readonly<Record<string, string | undefined>>): Promise<PgPoolConfig> {
  let password = env['PGPASSWORD']
  const passwordFile = env['PGPASSWORD_FILE']
  if (passwordFile !== undefined && passwordFile !== '') {
    if (password !== undefined) throw new InvalidConfigError('PGPASSWORD_FILE', 'set either PGPASSWORD or PGPASSWORD_FILE, not both')
    try {
      password = (await readFile(passwordFile, 'utf8')).trim()
    } catch (err) {
      throw new InvalidConfigError('PGPASSWORD_FILE', `cannot read ${passwordFile}`, { cause: err })
    }
  }
  const onGiveUp = env['POOL_ON_GIVE_UP'] ?? 'backoff'
  if (onGiveUp !== 'backoff' && onGiveUp !== 'escalate') {
    throw new InvalidConfigError('POOL_ON_GIVE_UP', `expected backoff or escalate, got ${JSON.stringify(onGiveUp)}`)
  }
  return {
    pool: {
      connection: {
        host: env['PGHOST'] ?? '127.0.0.1',
        port: integer(env, 'PGPORT', 5432, 1, 65535),
        user: env['PGUSER'] ?? 'postgres',
        database: env['PGDATABASE'] ?? 'postgres',
        ...(password === undefined ? {} : { password }),
      },
      size: integer(env, 'POOL_SIZE', 4, 1, 1000),
      maxWaiting: integer(env, 'POOL_MAX_WAITING', 100, 0, 1_000_000),
      checkoutTimeoutMs: integer(env, 'POOL_CHECKOUT_TIMEOUT_MS', 5000, 1, 3_600_000),
      queryTimeoutMs: integer(env, 'POOL_QUERY_TIMEOUT_MS', 5000, 1, 3_600_000),
      onGiveUp,
    },
    http: { host: env['HTTP_HOST'] ?? '127.0.0.1', port: integer(env, 'HTTP_PORT', 8080, 0, 65535) },
  }
}
