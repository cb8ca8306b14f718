/**
 * Reads a docker-compose.yml (YAML merge keys included) into what the namespace harness runs: per service its
 * command, environment, replicas, secrets, published ports, healthcheck and stop timing. Any key the harness does not
 * model is an error naming it, so the proof can never silently skip part of the file. Two keys are read but not
 * acted on by the namespace run: `build`/`image` (the Dockerfile test checks them against the Dockerfile) and
 * `restart` (its policy only matters after a crash, which the proof does not cause).
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parse } from 'yaml'

/** A published port range: host ports `from..to` (on `hostIp`, or on every interface) forward to `container`. */
export interface PublishedPorts {
  hostIp: string | undefined
  hostFrom: number
  hostTo: number
  container: number
}

export interface ComposeHealthcheck {
  /** The `CMD` form's argv. */
  command: string[]
  intervalMs: number
  timeoutMs: number
  retries: number
  startPeriodMs: number
  /** How often it runs during the start period (compose's `start_interval`). */
  startIntervalMs: number
}

export interface ComposeService {
  name: string
  image: string | undefined
  build: { context: string; target: string | undefined } | undefined
  command: string[]
  environment: Record<string, string>
  replicas: number
  secrets: { source: string; target: string }[]
  ports: PublishedPorts[]
  healthcheck: ComposeHealthcheck | undefined
  stopSignal: string
  stopGracePeriodMs: number
  restart: string | undefined
}

export interface ComposeFile {
  path: string
  services: ComposeService[]
  /** Secret name → the absolute path of its file. */
  secrets: Map<string, string>
}

const SERVICE_KEYS = new Set(['build', 'image', 'command', 'environment', 'deploy', 'secrets', 'ports', 'healthcheck', 'stop_signal', 'stop_grace_period', 'restart'])
const TOP_KEYS = new Set(['name', 'services', 'secrets'])

/** Compose durations: `10s`, `1m30s`, `500ms`, `2h`. */
export function parseDuration(text: string, what: string): number {
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`${what}: "${text}" is not a compose duration`)
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0)
}

export function readComposeFile(path: string): ComposeFile {
  const doc = parse(readFileSync(path, 'utf8'), { merge: true }) as Record<string, unknown>
  for (const key of Object.keys(doc)) {
    if (!TOP_KEYS.has(key) && !key.startsWith('x-')) throw new Error(`${path}: top-level "${key}" is not modelled by the namespace harness`)
  }
  const secrets = new Map<string, string>()
  for (const [name, spec] of Object.entries((doc['secrets'] ?? {}) as Record<string, { file?: string }>)) {
    if (typeof spec.file !== 'string') throw new Error(`${path}: secret ${name} must come from a file (the harness models file secrets)`)
    secrets.set(name, resolve(dirname(path), spec.file))
  }
  const services = Object.entries(doc['services'] as Record<string, Record<string, unknown>>).map(([name, s]): ComposeService => {
    for (const key of Object.keys(s)) if (!SERVICE_KEYS.has(key)) throw new Error(`${path}: service ${name} uses "${key}", which the namespace harness does not model`)
    const where = `${path}: service ${name}`
    const command = s['command']
    if (!Array.isArray(command) || !command.every((c) => typeof c === 'string')) throw new Error(`${where}: command must be an exec-form list`)
    const env = (s['environment'] ?? {}) as Record<string, unknown>
    if (Array.isArray(env)) throw new Error(`${where}: environment must be a map`)
    const environment = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]))
    const deploy = (s['deploy'] ?? {}) as { replicas?: number }
    const build = s['build'] as { context?: string; target?: string } | string | undefined
    const health = s['healthcheck'] as Record<string, unknown> | undefined
    let healthcheck: ComposeHealthcheck | undefined
    if (health !== undefined) {
      const test = health['test'] as string[]
      if (!Array.isArray(test) || test[0] !== 'CMD') throw new Error(`${where}: healthcheck.test must be the ["CMD", …] form`)
      healthcheck = {
        command: test.slice(1),
        intervalMs: parseDuration(String(health['interval'] ?? '30s'), `${where}: healthcheck.interval`),
        timeoutMs: parseDuration(String(health['timeout'] ?? '30s'), `${where}: healthcheck.timeout`),
        retries: Number(health['retries'] ?? 3),
        startPeriodMs: parseDuration(String(health['start_period'] ?? '0s'), `${where}: healthcheck.start_period`),
        startIntervalMs: parseDuration(String(health['start_interval'] ?? '5s'), `${where}: healthcheck.start_interval`),
      }
    }
    const ports = ((s['ports'] ?? []) as unknown[]).map((p): PublishedPorts => {
      const m = /^(?:(\d+\.\d+\.\d+\.\d+):)?(\d+)(?:-(\d+))?:(\d+)$/.exec(String(p))
      if (m === null) throw new Error(`${where}: port "${String(p)}" is not "[ip:]host[-host]:container"`)
      return { hostIp: m[1], hostFrom: Number(m[2]), hostTo: Number(m[3] ?? m[2]), container: Number(m[4]) }
    })
    return {
      name,
      image: s['image'] as string | undefined,
      build: build === undefined ? undefined : typeof build === 'string' ? { context: build, target: undefined } : { context: build.context ?? '.', target: build.target },
      command,
      environment,
      replicas: deploy.replicas ?? 1,
      secrets: ((s['secrets'] ?? []) as Array<string | { source: string; target?: string }>).map((x) =>
        typeof x === 'string' ? { source: x, target: x } : { source: x.source, target: x.target ?? x.source },
      ),
      ports,
      healthcheck,
      stopSignal: String(s['stop_signal'] ?? 'SIGTERM'),
      stopGracePeriodMs: parseDuration(String(s['stop_grace_period'] ?? '10s'), `${where}: stop_grace_period`),
      restart: s['restart'] as string | undefined,
    }
  })
  return { path, services, secrets }
}
