/**
 * Runs a compose file's services the way Docker would, without Docker: each replica is a process in its own network
 * namespace (its own address on the test bridge, the service names resolving to the replicas through dnsmasq), with
 * the service's command and the image's and the service's environment only (nothing inherited from this process), its
 * secrets as files under /run/secrets (a tmpfs private to the replica's mount namespace), the image's working
 * directory mapped to the repository (the Dockerfile copies it with the same layout) and, when the repository is
 * readable to it, the image's unprivileged user. Healthchecks run inside the replica's namespace with compose's timing rules; stopping sends the
 * service's stop signal and SIGKILL after its grace period, as `docker compose stop` does.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ComposeFile, ComposeService } from './compose-file.ts'
import type { NamespaceHost, NamespaceNetwork } from './namespace-network.ts'

/** The PATH of the node image, with this machine's node first (the image's node is /usr/local/bin/node). */
const IMAGE_PATH = [dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':')

/** Mounts a private /run with the secrets, enters the working directory, drops to the image's user, runs the command. */
const LAUNCH = `set -e
workdir="$1"; uid="$2"; shift 2
mount -t tmpfs -o mode=0755,size=1m cohort-run /run
mkdir -m 0755 /run/secrets
while [ "$1" != "--" ]; do cp "$1" "/run/secrets/$2"; chmod 0444 "/run/secrets/$2"; shift 2; done
shift
cd "$workdir"
if [ "$uid" = 0 ]; then exec "$@"; fi
exec setpriv --reuid="$uid" --regid="$uid" --clear-groups -- "$@"
`

export interface Replica {
  service: ComposeService
  /** 1-based, as compose numbers them (`cohort-chat-1`). */
  index: number
  host: NamespaceHost
  child: ChildProcess
  /** stdout and stderr lines. */
  log: string[]
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export interface ReplicaOptions {
  /** Where the image's WORKDIR (/app) is in this repository. */
  workdir: string
  /** The image's user id (`node` is 1000 in the Node images). */
  uid: number
  /** The image's `ENV`, under the service's `environment` as Docker merges them. */
  env: Record<string, string>
}

/** Whether `uid` can read `path` (else the harness runs as root, and says so). */
export function readableBy(uid: number, path: string): boolean {
  return spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', 'test', '-r', path]).status === 0
}

/** Adds one host per replica to `network`, points the service names at them in DNS, and starts every replica. */
export async function startReplicas(file: ComposeFile, network: NamespaceNetwork, options: ReplicaOptions): Promise<Replica[]> {
  const planned = file.services.flatMap((service) =>
    Array.from({ length: service.replicas }, (_, i) => ({ service, index: i + 1, host: network.addHost(`${service.name}-${i + 1}`) })),
  )
  const records = new Map<string, string[]>()
  for (const p of planned) records.set(p.service.name, [...(records.get(p.service.name) ?? []), p.host.address])
  await network.startDns(records)
  return planned.map((p) => launch(file, p.service, p.index, p.host, options))
}

function launch(file: ComposeFile, service: ComposeService, index: number, host: NamespaceHost, options: ReplicaOptions): Replica {
  const secretArgs = service.secrets.flatMap((s) => {
    const source = file.secrets.get(s.source)
    if (source === undefined) throw new Error(`service ${service.name} names secret ${s.source}, which the file does not define`)
    return [source, s.target]
  })
  const child = spawn('ip', ['netns', 'exec', host.namespace, 'sh', '-c', LAUNCH, 'launch', options.workdir, String(options.uid), ...secretArgs, '--', ...service.command], {
    env: { PATH: IMAGE_PATH, ...options.env, ...service.environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log: string[] = []
  createInterface({ input: child.stdout }).on('line', (l) => log.push(l))
  createInterface({ input: child.stderr }).on('line', (l) => log.push(l))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return { service, index, host, child, log, exited }
}

/** Runs `argv` inside the replica's namespace as its user; resolves with the exit code (null on timeout). */
export async function execInReplica(replica: Replica, argv: readonly string[], options: ReplicaOptions & { timeoutMs: number }): Promise<{ code: number | null; output: string }> {
  const user = options.uid === 0 ? [] : ['setpriv', `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', '--']
  const child = spawn('ip', ['netns', 'exec', replica.host.namespace, ...user, ...argv], {
    cwd: options.workdir,
    env: { PATH: IMAGE_PATH, ...options.env, ...replica.service.environment },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs,
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  return { code, output }
}

/**
 * Resolves once the replica's healthcheck passes, with compose's rules: during `start_period` it runs every
 * `start_interval` and failures do not count; after it, every `interval`, and `retries` failures in a row make the
 * container unhealthy, which rejects with the last output.
 */
export async function waitHealthy(replica: Replica, options: ReplicaOptions): Promise<void> {
  const check = replica.service.healthcheck
  if (check === undefined) throw new Error(`service ${replica.service.name} has no healthcheck`)
  const started = Date.now()
  let failures = 0
  for (;;) {
    const inStartPeriod = Date.now() - started < check.startPeriodMs
    await sleep(inStartPeriod ? check.startIntervalMs : check.intervalMs)
    if (replica.child.exitCode !== null || replica.child.signalCode !== null) {
      throw new Error(`${replica.service.name}-${replica.index} exited before it was healthy:\n${replica.log.join('\n')}`)
    }
    const { code, output } = await execInReplica(replica, check.command, { ...options, timeoutMs: check.timeoutMs })
    if (code === 0) return
    if (Date.now() - started >= check.startPeriodMs && ++failures >= check.retries) {
      throw new Error(`${replica.service.name}-${replica.index} is unhealthy after ${failures} failed checks (last exit ${code}): ${output}\n${replica.log.join('\n')}`)
    }
  }
}

/** `docker compose stop` for one replica: the stop signal, then SIGKILL after the grace period. */
export async function stopReplica(replica: Replica): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; killed: boolean }> {
  const started = Date.now()
  if (replica.child.exitCode === null && replica.child.signalCode === null) replica.child.kill(replica.service.stopSignal as NodeJS.Signals)
  let killed = false
  const timer = setTimeout(() => {
    killed = true
    replica.child.kill('SIGKILL')
  }, replica.service.stopGracePeriodMs)
  const result = await replica.exited
  clearTimeout(timer)
  return { ...result, ms: Date.now() - started, killed }
}

/** Kills whatever still runs (a failed test's leftovers). */
export async function killAll(replicas: readonly Replica[]): Promise<void> {
  for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL')
  await Promise.all(replicas.map((r) => r.exited))
}
