/**
 * The chat node's configuration, from environment variables: everything about the node, the cluster, discovery and
 * shutdown through @cohort/discovery's loadConfig (so `X_FILE` variables from mounted Secrets and ConfigMaps work
 * too), plus the chat's own HTTP and tuning variables (which take an `X_FILE` twin as well). A malformed value stops
 * the node at start with InvalidConfigError naming the variable. The app README has the table.
 */
import { InvalidConfigError, loadConfig, readConfigVariables } from '@cohort/discovery'
import type { CohortConfig } from '@cohort/discovery'
import { MIN_SECRET_BYTES } from './access-token.ts'

/** Everything a chat node is configured with. */
export interface ChatConfig {
  cohort: CohortConfig
  http: { host: string; port: number }
  chat: {
    historySyncMs: number
    maxBufferedBytes: number
    maxRooms: number
    maxConnections: number
    maxMessagesPerSecond: number
    messageBurst: number
    maxRoomsPerConnection: number
    publicUrl: string | undefined
    /** The secret access tokens are signed with (CHAT_AUTH_SECRET); undefined: users are who their URL says. */
    authSecret: Buffer | undefined
  }
}

/** The chat's own variables (loadConfig's are listed in @cohort/discovery's README). */
export const CHAT_CONFIG_VARIABLES: readonly string[] = Object.freeze([
  'HTTP_HOST', 'HTTP_PORT', 'LOG_LEVEL', 'CHAT_PUBLIC_URL', 'CHAT_HISTORY_SYNC_MS', 'CHAT_MAX_BUFFERED_BYTES', 'CHAT_MAX_ROOMS',
  'CHAT_MAX_CONNECTIONS', 'CHAT_MAX_MESSAGES_PER_SECOND', 'CHAT_MESSAGE_BURST', 'CHAT_MAX_ROOMS_PER_CONNECTION', 'CHAT_AUTH_SECRET',
])

/** The defaults of the chat's own variables. */
export const DEFAULT_CHAT_CONFIG: Readonly<{
  httpHost: string
  httpPort: number
  historySyncMs: number
  maxBufferedBytes: number
  maxRooms: number
  maxConnections: number
  maxMessagesPerSecond: number
  maxRoomsPerConnection: number
}> = Object.freeze({
  httpHost: '0.0.0.0',
  httpPort: 8080,
  /** Often enough that a restarted node's history is whole within seconds, rare enough to cost nothing. */
  historySyncMs: 2_000,
  /** About 250 full-length messages behind: far beyond a slow reader, small beside a node's memory. */
  maxBufferedBytes: 1024 * 1024,
  maxRooms: 10_000,
  /**
   * Every WebSocket is one, so this is about the users one node serves; it is there so that a flood of idle or
   * half-sent connections takes a known number of descriptors, not all of them.
   */
  maxConnections: 20_000,
  /**
   * Far above what a person types, so only scripts meet it; low enough that one connection cannot make a room of a
   * thousand members carry more than 20,000 deliveries a second. The burst is twice this unless CHAT_MESSAGE_BURST
   * says otherwise.
   */
  maxMessagesPerSecond: 20,
  /**
   * A chat client's open rooms, with room to spare; each costs every node a group member and a presence entry, so one
   * connection may not join thousands.
   */
  maxRoomsPerConnection: 50,
})

/**
 * Reads the configuration.
 * @throws InvalidConfigError (COHORT_ERR_INVALID_CONFIG) naming the variable
 */
export async function loadChatConfig(options: {
  env: Readonly<Record<string, string | undefined>>
  readFile?: (path: string) => Promise<string>
}): Promise<ChatConfig> {
  const env = { ...options.env }
  // X_FILE for the chat's own variables too, as loadConfig reads it for the node's (mounted Secrets and ConfigMaps).
  for (const [name, value] of await readConfigVariables(options.env, CHAT_CONFIG_VARIABLES, options.readFile)) env[name] = value
  // LOG_LEVEL is the name most deployments already set; COHORT_LOG_LEVEL wins when both are there.
  if (env['COHORT_LOG_LEVEL'] === undefined && env['LOG_LEVEL'] !== undefined) env['COHORT_LOG_LEVEL'] = env['LOG_LEVEL']
  const fromLogLevel = options.env['COHORT_LOG_LEVEL'] === undefined && env['LOG_LEVEL'] !== undefined
  let cohort: CohortConfig
  try {
    cohort = await loadConfig(options.readFile === undefined ? { env } : { env, readFile: options.readFile })
  } catch (err) {
    // A bad LOG_LEVEL was copied into COHORT_LOG_LEVEL above: name the variable the user set.
    if (fromLogLevel && err instanceof InvalidConfigError && err.variable === 'COHORT_LOG_LEVEL') {
      throw new InvalidConfigError('LOG_LEVEL', err.message.replace(/^invalid COHORT_LOG_LEVEL: /, ''), { cause: err })
    }
    throw err
  }
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const value = env[name]?.trim()
    if (value === undefined || value === '') return fallback
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidConfigError(name, `expected an integer in ${min}..${max}, got ${JSON.stringify(value)}`)
    }
    return Number(value)
  }
  const publicUrl = env['CHAT_PUBLIC_URL']?.trim()
  if (publicUrl !== undefined && publicUrl !== '' && !/^https?:\/\/[^/\s]+\/?$/.test(publicUrl)) {
    throw new InvalidConfigError('CHAT_PUBLIC_URL', `expected http(s)://host[:port], got ${JSON.stringify(publicUrl)}`)
  }
  const httpHost = env['HTTP_HOST']?.trim() || DEFAULT_CHAT_CONFIG.httpHost
  const authSecret = authSecretOf(env['CHAT_AUTH_SECRET'], env['CHAT_AUTH_SECRET_FILE'] ? 'CHAT_AUTH_SECRET_FILE' : 'CHAT_AUTH_SECRET')
  const maxMessagesPerSecond = int('CHAT_MAX_MESSAGES_PER_SECOND', DEFAULT_CHAT_CONFIG.maxMessagesPerSecond, 0, 10_000_000)
  return {
    cohort,
    http: { host: httpHost, port: int('HTTP_PORT', DEFAULT_CHAT_CONFIG.httpPort, 0, 65535) },
    chat: {
      historySyncMs: int('CHAT_HISTORY_SYNC_MS', DEFAULT_CHAT_CONFIG.historySyncMs, 10, 3_600_000),
      maxBufferedBytes: int('CHAT_MAX_BUFFERED_BYTES', DEFAULT_CHAT_CONFIG.maxBufferedBytes, 1024, 1024 ** 3),
      maxRooms: int('CHAT_MAX_ROOMS', DEFAULT_CHAT_CONFIG.maxRooms, 1, 10_000_000),
      maxConnections: int('CHAT_MAX_CONNECTIONS', DEFAULT_CHAT_CONFIG.maxConnections, 1, 10_000_000),
      maxMessagesPerSecond,
      messageBurst: int('CHAT_MESSAGE_BURST', Math.max(1, 2 * maxMessagesPerSecond), 1, 20_000_000),
      maxRoomsPerConnection: int('CHAT_MAX_ROOMS_PER_CONNECTION', DEFAULT_CHAT_CONFIG.maxRoomsPerConnection, 1, 100_000),
      publicUrl: publicUrl === '' ? undefined : publicUrl?.replace(/\/$/, ''),
      authSecret,
    },
  }
}

/** The access-token secret (CHAT_AUTH_SECRET, given as `variable`), or undefined; never shown in an error. */
function authSecretOf(value: string | undefined, variable: string): Buffer | undefined {
  const secret = value?.trim()
  if (secret === undefined || secret === '') return undefined
  const bytes = Buffer.from(secret, 'utf8')
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new InvalidConfigError(variable, `the secret is ${bytes.length} bytes; HS256 needs at least ${MIN_SECRET_BYTES} (for example: openssl rand -base64 48)`)
  }
  return bytes
}
