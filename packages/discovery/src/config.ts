/**
 * Configuration from the environment and from files mounted from ConfigMaps and Secrets, for apps' composition
 * roots: env and readFile are injected (the app passes `process.env` and fs). Every variable `X` may instead be given
 * as `X_FILE`, the path of a file holding the value (trimmed), which is how Secrets (the cookie) and ConfigMap keys
 * are mounted. A malformed value fails at start with InvalidConfigError naming the variable. The README has the table.
 */
import { readFile as fsReadFile } from 'node:fs/promises'
import { networkInterfaces as osNetworkInterfaces } from 'node:os'
import type { NetworkInterfaceInfo } from 'node:os'
import type { Peer } from './cluster-node.ts'
import { InvalidConfigError } from './errors.ts'
import { kubernetesNodeName } from './kubernetes/pod-node-name.ts'
import type { NameMode } from './kubernetes/pod-node-name.ts'
import { nodeName } from '@cohort/core'
import { localNodeName, peerUrl } from './peer-address.ts'

/** Log levels accepted in COHORT_LOG_LEVEL (pino's). */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** The discovery part of the configuration, by strategy. */
export type DiscoveryConfig =
  | { strategy: 'static'; peers: Peer[] }
  | { strategy: 'localPorts'; host: string; ports: number[]; basename: string }
  | { strategy: 'dnsA'; query: string; port: number; basename: string; intervalMs: number; servers: string[] }
  | { strategy: 'dnsSrv'; query: string; basename: string; intervalMs: number; servers: string[] }
  | {
      strategy: 'kubernetes'
      service: string | undefined
      labelSelector: string | undefined
      namespace: string | undefined
      portName: string | undefined
      nameMode: NameMode
      clusterDomain: string
      api: 'endpointSlices' | 'endpoints'
      basename: string
    }

/** Everything loadConfig resolves. */
export interface CohortConfig {
  node: { name: string; basename: string; host: string; port: number; cookie: string; tickMs: number; maskFrames: boolean; busyWaitMs: number }
  discovery: DiscoveryConfig
  probes: { host: string; port: number }
  shutdown: { drainDelayMs: number; gracePeriodMs: number }
  logLevel: LogLevel
}

/** Options of loadConfig. */
export interface LoadConfigOptions {
  /** The environment; pass `process.env`. */
  env: Readonly<Record<string, string | undefined>>
  /** Reads a mounted file as UTF-8. @default fs.promises.readFile */
  readFile?: (path: string) => Promise<string>
  /** Where the service-account `namespace` file is (kubernetes names in `dns`/`hostname` mode). @default the standard path */
  serviceAccountDir?: string
  /** This machine's interfaces, for `COHORT_HOST=auto`. @default os.networkInterfaces */
  networkInterfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>
}

/** Every variable loadConfig reads, in the README table's order (the deploy manifests are checked against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze([
  'COHORT_BASENAME', 'COHORT_NODE_NAME', 'COHORT_HOST', 'POD_IP', 'POD_NAME', 'POD_NAMESPACE', 'COHORT_PORT',
  'COHORT_COOKIE', 'COHORT_TICK_MS', 'COHORT_MASK_FRAMES', 'COHORT_BUSY_WAIT_MS', 'COHORT_DISCOVERY', 'COHORT_PEERS', 'COHORT_LOCAL_PORTS', 'COHORT_DNS_QUERY',
  'COHORT_DNS_PORT', 'COHORT_DNS_INTERVAL_MS', 'COHORT_DNS_SERVERS', 'COHORT_K8S_SERVICE', 'COHORT_K8S_LABEL_SELECTOR',
  'COHORT_K8S_NAMESPACE', 'COHORT_K8S_PORT_NAME', 'COHORT_K8S_NAME_MODE', 'COHORT_K8S_CLUSTER_DOMAIN', 'COHORT_K8S_API',
  'COHORT_PROBE_HOST', 'COHORT_PROBE_PORT', 'COHORT_DRAIN_DELAY_MS', 'COHORT_GRACE_PERIOD_MS', 'COHORT_LOG_LEVEL',
])

/** The defaults loadConfig applies. */
export const DEFAULT_CONFIG: Readonly<{
  basename: string
  host: string
  port: number
  tickMs: number
  busyWaitMs: number
  discovery: DiscoveryConfig['strategy']
  dnsIntervalMs: number
  nameMode: NameMode
  clusterDomain: string
  probeHost: string
  probePort: number
  drainDelayMs: number
  gracePeriodMs: number
  logLevel: LogLevel
}> = Object.freeze({
  basename: 'cohort',
  host: '127.0.0.1',
  port: 4370,
  // The transport's default (startNode's tickMs), so a library node and a `cohort start` node agree out of the box;
  // test/config/defaults.test.ts keeps the two equal.
  tickMs: 15_000,
  // Off, as startNode's: spinning costs a core, which a pod with a CPU limit pays for in throttling.
  busyWaitMs: 0,
  discovery: 'static',
  dnsIntervalMs: 5_000,
  nameMode: 'ip',
  clusterDomain: 'cluster.local',
  probeHost: '0.0.0.0',
  probePort: 8081,
  drainDelayMs: 2_000,
  gracePeriodMs: 20_000,
  logLevel: 'info',
})

const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const STRATEGIES: readonly string[] = ['static', 'localPorts', 'dnsA', 'dnsSrv', 'kubernetes']
const SECRET_VARIABLES = new Set(['COHORT_COOKIE'])

/**
 * Reads the configuration.
 * @throws InvalidConfigError (COHORT_ERR_INVALID_CONFIG) naming the variable, for a malformed or missing value
 * @example const config = await loadConfig({ env: process.env })
 */
export async function loadConfig(options: LoadConfigOptions): Promise<CohortConfig> {
  const readFile = options.readFile ?? ((path: string) => fsReadFile(path, 'utf8'))
  const raw = await readConfigVariables(options.env, CONFIG_VARIABLES, readFile)
  const str = (name: string): string | undefined => raw.get(name)
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const value = str(name)
    if (value === undefined) return fallback
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidConfigError(name, `expected an integer in ${min}..${max}, got ${show(name, value)}`)
    }
    return Number(value)
  }
  const oneOf = <T extends string>(name: string, allowed: readonly string[], fallback: T): T => {
    const value = str(name) ?? fallback
    if (!allowed.includes(value)) {
      throw new InvalidConfigError(name, `expected one of ${allowed.join(', ')}, got ${show(name, value)}`)
    }
    return value as T
  }

  const basename = str('COHORT_BASENAME') ?? DEFAULT_CONFIG.basename
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(basename)) {
    throw new InvalidConfigError('COHORT_BASENAME', `expected letters, digits, "_", "." or "-", got ${show('', basename)}`)
  }
  const wanted = str('COHORT_HOST') ?? str('POD_IP') ?? DEFAULT_CONFIG.host
  const host = wanted === 'auto' ? ownAddress(options.networkInterfaces ?? osNetworkInterfaces) : wanted
  if (/[\s@/]/.test(host)) {
    throw new InvalidConfigError(str('COHORT_HOST') !== undefined ? 'COHORT_HOST' : 'POD_IP', `expected a host name or IP, got ${show('', host)}`)
  }
  const port = int('COHORT_PORT', DEFAULT_CONFIG.port, 0, 65535)
  const cookie = str('COHORT_COOKIE')
  if (cookie === undefined || cookie === '') {
    throw new InvalidConfigError('COHORT_COOKIE', 'missing: set COHORT_COOKIE or COHORT_COOKIE_FILE (a file mounted from a Secret)')
  }
  const tickMs = int('COHORT_TICK_MS', DEFAULT_CONFIG.tickMs, 1_000, 3_600_000)
  const maskFrames = oneOf<'true' | 'false'>('COHORT_MASK_FRAMES', ['true', 'false'], 'false') === 'true'
  const busyWaitMs = int('COHORT_BUSY_WAIT_MS', DEFAULT_CONFIG.busyWaitMs, 0, 1000)
  const strategy = oneOf<DiscoveryConfig['strategy']>('COHORT_DISCOVERY', STRATEGIES, DEFAULT_CONFIG.discovery)
  const required = (name: string): string => {
    const value = str(name)
    if (value === undefined || value === '') throw new InvalidConfigError(name, `missing: required when COHORT_DISCOVERY=${strategy}`)
    return value
  }
  const servers = (str('COHORT_DNS_SERVERS') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')

  let discovery: DiscoveryConfig
  switch (strategy) {
    case 'static':
      discovery = { strategy, peers: parsePeers(str('COHORT_PEERS') ?? '') }
      break
    case 'localPorts':
      discovery = { strategy, host, ports: parsePorts(required('COHORT_LOCAL_PORTS')), basename }
      break
    case 'dnsA':
      discovery = {
        strategy,
        query: required('COHORT_DNS_QUERY'),
        port: int('COHORT_DNS_PORT', port, 1, 65535),
        basename,
        intervalMs: int('COHORT_DNS_INTERVAL_MS', DEFAULT_CONFIG.dnsIntervalMs, 100, 3_600_000),
        servers,
      }
      break
    case 'dnsSrv':
      discovery = {
        strategy,
        query: required('COHORT_DNS_QUERY'),
        basename,
        intervalMs: int('COHORT_DNS_INTERVAL_MS', DEFAULT_CONFIG.dnsIntervalMs, 100, 3_600_000),
        servers,
      }
      break
    case 'kubernetes': {
      const service = str('COHORT_K8S_SERVICE')
      const labelSelector = str('COHORT_K8S_LABEL_SELECTOR')
      if ((service === undefined) === (labelSelector === undefined)) {
        throw new InvalidConfigError('COHORT_K8S_SERVICE', 'set exactly one of COHORT_K8S_SERVICE or COHORT_K8S_LABEL_SELECTOR')
      }
      discovery = {
        strategy,
        service,
        labelSelector,
        namespace: str('COHORT_K8S_NAMESPACE') ?? str('POD_NAMESPACE'),
        portName: str('COHORT_K8S_PORT_NAME'),
        nameMode: oneOf<NameMode>('COHORT_K8S_NAME_MODE', ['ip', 'dns', 'hostname'], DEFAULT_CONFIG.nameMode),
        clusterDomain: str('COHORT_K8S_CLUSTER_DOMAIN') ?? DEFAULT_CONFIG.clusterDomain,
        api: oneOf<'endpointSlices' | 'endpoints'>('COHORT_K8S_API', ['endpointSlices', 'endpoints'], 'endpointSlices'),
        basename,
      }
      break
    }
  }

  const drainDelayMs = int('COHORT_DRAIN_DELAY_MS', DEFAULT_CONFIG.drainDelayMs, 0, 3_600_000)
  const gracePeriodMs = int('COHORT_GRACE_PERIOD_MS', DEFAULT_CONFIG.gracePeriodMs, 1, 3_600_000)
  if (gracePeriodMs <= drainDelayMs) {
    throw new InvalidConfigError('COHORT_GRACE_PERIOD_MS', `must exceed COHORT_DRAIN_DELAY_MS (${drainDelayMs}), got ${gracePeriodMs}`)
  }
  const name = str('COHORT_NODE_NAME') ?? (await ownName(discovery, { basename, host, port, raw, readFile, options }))
  if (!/^[^@\s]+@[^@\s]+$/.test(name)) {
    throw new InvalidConfigError('COHORT_NODE_NAME', `expected "basename@host", got ${show('', name)}`)
  }
  return {
    node: { name, basename, host, port, cookie, tickMs, maskFrames, busyWaitMs },
    discovery,
    probes: { host: str('COHORT_PROBE_HOST') ?? DEFAULT_CONFIG.probeHost, port: int('COHORT_PROBE_PORT', DEFAULT_CONFIG.probePort, 0, 65535) },
    shutdown: { drainDelayMs, gracePeriodMs },
    logLevel: oneOf<LogLevel>('COHORT_LOG_LEVEL', LOG_LEVELS, DEFAULT_CONFIG.logLevel),
  }
}

/** The options of the transport's `startNode` that configuration sets (`config.node` without `basename`). */
export interface ConfiguredNodeOptions {
  readonly name: string
  readonly host: string
  readonly port: number
  readonly cookie: string
  readonly tickMs: number
  readonly maskFrames: boolean
  readonly busyWaitMs: number
}

/**
 * `config.node` as `startNode` options, to spread beside the caller's own (a logger): every composition root passes
 * the same fields, and one that listed them itself missed each new variable until it was edited too.
 */
export function nodeOptionsFromConfig(config: Pick<CohortConfig, 'node'>): ConfiguredNodeOptions {
  const { name, host, port, cookie, tickMs, maskFrames, busyWaitMs } = config.node
  return { name, host, port, cookie, tickMs, maskFrames, busyWaitMs }
}

/**
 * Each of `names` from `env`, or from the file its `X_FILE` twin names, trimmed; unset and empty ones are left out.
 * loadConfig reads its own variables so; an app reads its own the same way, so its Secrets and ConfigMap keys mount
 * like the cookie.
 * @throws InvalidConfigError naming `X_FILE` when both are set or the file cannot be read
 * @example const values = await readConfigVariables(process.env, ['CHAT_MAX_ROOMS'])
 */
export async function readConfigVariables(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
  readFile: (path: string) => Promise<string> = (path) => fsReadFile(path, 'utf8'),
): Promise<Map<string, string>> {
  const values = new Map<string, string>()
  for (const name of names) {
    const direct = env[name]
    const file = env[`${name}_FILE`]
    if (direct !== undefined && file !== undefined && file !== '') {
      throw new InvalidConfigError(`${name}_FILE`, `set either ${name} or ${name}_FILE, not both`)
    }
    if (file !== undefined && file !== '') {
      try {
        values.set(name, (await readFile(file)).trim())
      } catch (err) {
        throw new InvalidConfigError(`${name}_FILE`, `cannot read ${JSON.stringify(file)}`, { cause: err })
      }
    } else if (direct !== undefined && direct.trim() !== '') {
      values.set(name, direct.trim())
    }
  }
  return values
}

function show(name: string, value: string): string {
  return SECRET_VARIABLES.has(name) ? '(hidden)' : JSON.stringify(value)
}

/** COHORT_PEERS: `name=url` pairs, or the shorthand `basename@host:port`, separated by commas. */
function parsePeers(text: string): Peer[] {
  const peers: Peer[] = []
  for (const entry of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const pair = /^([^@\s=]+@[^@\s=]+)=(wss?:\/\/[^/\s]+)$/.exec(entry)
    const short = /^([^@\s=]+)@(\[[^\]]+\]|[^@\s=:]+):(\d{1,5})$/.exec(entry)
    if (pair !== null) peers.push({ name: pair[1] as string, url: pair[2] as string })
    else if (short !== null && Number(short[3]) >= 1 && Number(short[3]) <= 65535) {
      const host = (short[2] as string).replace(/^\[(.*)\]$/, '$1')
      peers.push({ name: nodeName(short[1] as string, host), url: peerUrl(host, Number(short[3])) })
    } else {
      throw new InvalidConfigError(
        'COHORT_PEERS',
        `entry ${JSON.stringify(entry)} is neither "name@host=ws://host:port" nor "basename@host:port"`,
      )
    }
  }
  return peers
}

/** COHORT_LOCAL_PORTS: `4370-4374`, or a comma list `4370,4371`. */
function parsePorts(text: string): number[] {
  const range = /^(\d{1,5})-(\d{1,5})$/.exec(text)
  const ports = range !== null ? [] : text.split(',').map((s) => s.trim())
  if (range !== null) {
    const from = Number(range[1])
    const to = Number(range[2])
    if (from < 1 || to > 65535 || to < from || to - from >= 1024) {
      throw new InvalidConfigError('COHORT_LOCAL_PORTS', `expected a range "from-to" of at most 1024 ports in 1..65535, got "${text}"`)
    }
    return Array.from({ length: to - from + 1 }, (_, i) => from + i)
  }
  return ports.map((p) => {
    if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) {
      throw new InvalidConfigError('COHORT_LOCAL_PORTS', `expected ports like "4370-4374" or "4370,4371", got "${text}"`)
    }
    return Number(p)
  })
}

/**
 * `COHORT_HOST=auto`: the address peers reach this machine on, for containers that are not told their own address
 * (docker-compose has no downward API): the first non-loopback IPv4 address, else the first global IPv6 one.
 */
function ownAddress(interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>): string {
  const all = Object.values(interfaces()).flatMap((list) => list ?? []).filter((i) => !i.internal)
  const found = all.find((i) => i.family === 'IPv4') ?? all.find((i) => i.family === 'IPv6' && !i.address.startsWith('fe80:'))
  if (found === undefined) {
    throw new InvalidConfigError('COHORT_HOST', 'is "auto", but this machine has no network interface other than loopback')
  }
  return found.address
}

/** The node's own name, computed the way its peers' discovery will name it. */
async function ownName(
  discovery: DiscoveryConfig,
  ctx: {
    basename: string
    host: string
    port: number
    raw: Map<string, string>
    readFile: (path: string) => Promise<string>
    options: LoadConfigOptions
  },
): Promise<string> {
  if (discovery.strategy === 'localPorts') return localNodeName({ basename: ctx.basename, host: ctx.host, port: ctx.port })
  if (discovery.strategy !== 'kubernetes' || discovery.nameMode === 'ip') return nodeName(ctx.basename, ctx.host)
  const podIp = ctx.raw.get('POD_IP') ?? ctx.raw.get('COHORT_HOST')
  if (podIp === undefined) throw new InvalidConfigError('POD_IP', 'missing: set it from the downward API (status.podIP)')
  if (discovery.service === undefined) {
    throw new InvalidConfigError('COHORT_K8S_SERVICE', `required when COHORT_K8S_NAME_MODE=${discovery.nameMode}`)
  }
  let namespace = discovery.namespace
  if (namespace === undefined) {
    const path = `${ctx.options.serviceAccountDir ?? '/var/run/secrets/kubernetes.io/serviceaccount'}/namespace`
    try {
      namespace = (await ctx.readFile(path)).trim()
    } catch (err) {
      throw new InvalidConfigError('COHORT_K8S_NAMESPACE', `missing, and the service-account file ${path} cannot be read`, { cause: err })
    }
  }
  const hostname = ctx.raw.get('POD_NAME')
  const name = kubernetesNodeName({
    basename: ctx.basename,
    nameMode: discovery.nameMode,
    address: podIp,
    hostname: discovery.nameMode === 'hostname' ? hostname : undefined,
    service: discovery.service,
    namespace,
    clusterDomain: discovery.clusterDomain,
  })
  if (name === undefined) throw new InvalidConfigError('POD_NAME', 'missing: COHORT_K8S_NAME_MODE=hostname needs the pod name (metadata.name)')
  return name
}
