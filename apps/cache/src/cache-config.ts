/**
 * The cache node's configuration: everything a Cohort node reads (`loadConfig` from @cohort/discovery: name, port,
 * cookie, discovery, probe port, shutdown timings, log level) plus the cache's own variables. The cache's HTTP API is
 * served on the node's HTTP port (`COHORT_PROBE_HOST`/`COHORT_PROBE_PORT`), beside the probes.
 */
import { readFile as fsReadFile } from 'node:fs/promises'
import { InvalidConfigError, loadConfig } from '@cohort/discovery'
import type { CohortConfig, LoadConfigOptions } from '@cohort/discovery'

/** The cache's own settings. */
export interface CacheSettings {
  /** RESP listener port; undefined leaves the RESP listener off. */
  redisPort: number | undefined
  /** RESP listener address. */
  redisHost: string
  /** The replicated map's scope: nodes with the same scope share one data set. */
  scope: string
  /** Largest RESP request and largest HTTP value, in bytes. */
  maxRequestBytes: number
  /** Open RESP connections past which a new one is refused (Redis's `maxclients`). */
  maxClients: number
  /** Open HTTP connections past which a new one is closed on arrival. */
  maxHttpConnections: number
  /** What RESP clients (AUTH) and the HTTP API (a bearer token) must present; undefined lets anyone in. */
  password: string | undefined
}

/** Everything loadCacheConfig resolves. */
export interface CacheConfig {
  cohort: CohortConfig
  cache: CacheSettings
}

/** The cache's own variables, in the README table's order. */
export const CACHE_CONFIG_VARIABLES: readonly string[] = Object.freeze([
  'REDIS_PORT', 'REDIS_HOST', 'CACHE_SCOPE', 'CACHE_MAX_REQUEST_BYTES', 'CACHE_MAX_CLIENTS', 'CACHE_MAX_HTTP_CONNECTIONS', 'CACHE_PASSWORD',
])

/** The defaults of the cache's own variables. */
export const DEFAULT_CACHE_SETTINGS: Readonly<{
  redisHost: string
  scope: string
  maxRequestBytes: number
  maxClients: number
  maxHttpConnections: number
}> = Object.freeze({
  redisHost: '0.0.0.0',
  scope: 'cache',
  maxRequestBytes: 16 * 1024 * 1024,
  maxClients: 10_000,
  maxHttpConnections: 10_000,
})

/**
 * Reads the configuration from the environment (and `X_FILE` mounted files for Cohort's variables).
 * @throws InvalidConfigError (COHORT_ERR_INVALID_CONFIG) naming the variable, for a malformed or missing value
 */
export async function loadCacheConfig(options: LoadConfigOptions): Promise<CacheConfig> {
  const cohort = await loadConfig(options)
  const env = options.env
  const int = (name: string, min: number, max: number): number | undefined => {
    const value = env[name]
    if (value === undefined || value === '') return undefined
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidConfigError(name, `expected an integer in ${min}..${max}, got ${JSON.stringify(value)}`)
    }
    return Number(value)
  }
  const scope = env['CACHE_SCOPE'] ?? DEFAULT_CACHE_SETTINGS.scope
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(scope)) {
    throw new InvalidConfigError('CACHE_SCOPE', `expected letters, digits, "_", "." or "-", got ${JSON.stringify(scope)}`)
  }
  const redisHost = env['REDIS_HOST'] ?? DEFAULT_CACHE_SETTINGS.redisHost
  if (redisHost === '' || /[\s/@]/.test(redisHost)) {
    throw new InvalidConfigError('REDIS_HOST', `expected an address to bind, got ${JSON.stringify(redisHost)}`)
  }
  const password = await readPassword(env, options.readFile ?? ((path: string) => fsReadFile(path, 'utf8')))
  return {
    cohort,
    cache: {
      redisPort: int('REDIS_PORT', 0, 65535),
      redisHost,
      scope,
      maxRequestBytes: int('CACHE_MAX_REQUEST_BYTES', 1024, 512 * 1024 * 1024) ?? DEFAULT_CACHE_SETTINGS.maxRequestBytes,
      maxClients: int('CACHE_MAX_CLIENTS', 1, 1_000_000) ?? DEFAULT_CACHE_SETTINGS.maxClients,
      maxHttpConnections: int('CACHE_MAX_HTTP_CONNECTIONS', 1, 1_000_000) ?? DEFAULT_CACHE_SETTINGS.maxHttpConnections,
      password,
    },
  }
}

/** `CACHE_PASSWORD`, or the file `CACHE_PASSWORD_FILE` names (a Secret mounted as a file; trimmed); not both. */
async function readPassword(env: LoadConfigOptions['env'], readFile: (path: string) => Promise<string>): Promise<string | undefined> {
  const direct = env['CACHE_PASSWORD']
  const file = env['CACHE_PASSWORD_FILE']
  if (file === undefined || file === '') return direct === undefined || direct === '' ? undefined : direct
  if (direct !== undefined && direct !== '') throw new InvalidConfigError('CACHE_PASSWORD_FILE', 'set either CACHE_PASSWORD or CACHE_PASSWORD_FILE, not both')
  let text: string
  try {
    text = (await readFile(file)).trim()
  } catch (err) {
    throw new InvalidConfigError('CACHE_PASSWORD_FILE', `cannot read ${JSON.stringify(file)}`, { cause: err })
  }
  if (text === '') throw new InvalidConfigError('CACHE_PASSWORD_FILE', `${JSON.stringify(file)} is empty`)
  return text
}
