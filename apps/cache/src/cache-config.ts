/**
 * The cache node's configuration: everything a Cohort node reads (`loadConfig` from @cohort/discovery: name, port,
 * cookie, discovery, probe port, shutdown timings, log level) plus the cache's own variables. The cache's HTTP API is
 * served on the node's HTTP port (`COHORT_PROBE_HOST`/`COHORT_PROBE_PORT`), beside the probes.
 */
import { readFile as fsReadFile } from 'node:fs/promises'
import { getHeapStatistics } from 'node:v8'
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
  /** The data set's size past which writes are refused (Redis's `maxmemory`, `noeviction`); 0: no limit. */
  maxMemoryBytes: number
  /** The longest a starting replica's readiness waits for its catch-ups with its peers (first-catch-up.ts). */
  readyCatchUpMs: number
}

/** Everything loadCacheConfig resolves. */
export interface CacheConfig {
  cohort: CohortConfig
  cache: CacheSettings
}

/** The cache's own variables, in the README table's order. */
export const CACHE_CONFIG_VARIABLES: readonly string[] = Object.freeze([
  'REDIS_PORT', 'REDIS_HOST', 'CACHE_SCOPE', 'CACHE_MAX_REQUEST_BYTES', 'CACHE_MAX_CLIENTS', 'CACHE_MAX_HTTP_CONNECTIONS', 'CACHE_MAX_MEMORY', 'CACHE_PASSWORD',
  'CACHE_READY_CATCH_UP_MS',
])

/** The defaults of the cache's own variables. */
export const DEFAULT_CACHE_SETTINGS: Readonly<{
  redisHost: string
  scope: string
  maxRequestBytes: number
  maxClients: number
  maxHttpConnections: number
  readyCatchUpMs: number
}> = Object.freeze({
  redisHost: '0.0.0.0',
  scope: 'cache',
  maxRequestBytes: 16 * 1024 * 1024,
  maxClients: 10_000,
  maxHttpConnections: 10_000,
  readyCatchUpMs: 60_000,
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
  const maxMemory = env['CACHE_MAX_MEMORY']
  const maxMemoryBytes = maxMemory === undefined || maxMemory === '' ? defaultMaxMemoryBytes() : parseMemorySize('CACHE_MAX_MEMORY', maxMemory)
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
      maxMemoryBytes,
      readyCatchUpMs: int('CACHE_READY_CATCH_UP_MS', 0, 24 * 3600 * 1000) ?? DEFAULT_CACHE_SETTINGS.readyCatchUpMs,
    },
  }
}

/**
 * Half of this process's V8 heap limit: the default `CACHE_MAX_MEMORY`. Every key's entry lives in the heap (values
 * mostly outside it), so a flood of small writes is refused well before the heap runs out, and no single client can
 * take every node of the cluster down at once by filling it. Set `CACHE_MAX_MEMORY` from the container's memory
 * limit instead (the manifests do), or 0 for no limit.
 */
export function defaultMaxMemoryBytes(): number {
  return Math.floor(getHeapStatistics().heap_size_limit / 2)
}

const MEMORY_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 }

/**
 * A size as Redis's configuration writes it: bytes, or a number with `k`, `kb`, `m`, `mb`, `g` or `gb` (`kb` is
 * 1024 bytes, `k` 1000), in any letter case. 0 is no limit.
 * @throws InvalidConfigError naming `variable`
 */
export function parseMemorySize(variable: string, text: string): number {
  const match = /^(\d{1,15})([kmg]b?)?$/i.exec(text.trim())
  if (match === null) throw new InvalidConfigError(variable, `expected bytes or a size such as 256mb or 2gb (0: no limit), got ${JSON.stringify(text)}`)
  const bytes = Number(match[1]) * MEMORY_UNITS[(match[2] ?? '').toLowerCase()]!
  if (!Number.isSafeInteger(bytes)) throw new InvalidConfigError(variable, `${JSON.stringify(text)} is too large`)
  return bytes
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
