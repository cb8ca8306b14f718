/**
 * A real DNS server for discovery tests: dnsmasq on 127.0.0.1 and a free port, authoritative for one zone, with no
 * upstream, no /etc/hosts and no resolv.conf. A/AAAA data lives in a hosts directory that dnsmasq re-reads by itself
 * (inotify) when a file is replaced; SRV data lives in the config file, which dnsmasq does not re-read on SIGHUP, so
 * `setSrv` restarts it on the same port (K8S.md 7.4). `start` resolves only once the server answers.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { promises as dns } from 'node:dns'
import { createSocket } from 'node:dgram'
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export const DNSMASQ = '/usr/sbin/dnsmasq'

/** Why dnsmasq tests cannot run here, or undefined when they can. */
export function dnsmasqMissing(): string | undefined {
  const probe = spawnSync(DNSMASQ, ['--version'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0) {
    return `dnsmasq not found at ${DNSMASQ} (install the Debian package dnsmasq-base)`
  }
  return undefined
}

/** One SRV record: `--srv-host=<name>,<target>,<port>,<priority>,<weight>`. */
export interface SrvRecord {
  name: string
  target: string
  port: number
  priority?: number
  weight?: number
}

export interface Dnsmasq extends AsyncDisposable {
  readonly port: number
  /** `127.0.0.1:<port>`, for `Resolver.setServers`. */
  readonly server: string
  /** A Resolver pointed at this server. */
  resolver(): dns.Resolver
  /** Replaces every A/AAAA record: `[address, name]` pairs. An empty list makes every name NXDOMAIN. */
  setHosts(records: ReadonlyArray<readonly [string, string]>): Promise<void>
  /** Replaces every SRV record (restarts dnsmasq on the same port). */
  setSrv(records: readonly SrvRecord[]): Promise<void>
  stop(): Promise<void>
}

const READY_NAME = 'dnsmasq-ready.test.invalid'

async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => {
        const p = (server.address() as { port: number }).port
        server.close(() => resolve(p))
      })
    })
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4')
      socket.once('error', () => resolve(false))
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)))
    })
    if (udpFree) return port
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1')
}

/** Starts dnsmasq authoritative for `zone` (default `cluster.local`). */
export async function startDnsmasq(options: { zone?: string; srv?: readonly SrvRecord[] } = {}): Promise<Dnsmasq> {
  const zone = options.zone ?? 'cluster.local'
  const dir = await mkdtemp(join(tmpdir(), 'cohort-dnsmasq-'))
  const hostsDir = join(dir, 'hosts.d')
  // dnsmasq started as root drops to its own user: the directories must be readable by it (K8S.md 7.4).
  await chmod(dir, 0o755)
  await mkdir(hostsDir, { mode: 0o755 })
  await chmod(hostsDir, 0o755)
  const port = await freePort()
  const confPath = join(dir, 'dnsmasq.conf')
  let srv: readonly SrvRecord[] = options.srv ?? []
  let child: ChildProcess | undefined
  let output = ''

  const writeConf = async (): Promise<void> => {
    const lines = [
      `port=${port}`,
      'listen-address=127.0.0.1',
      'bind-interfaces',
      'no-resolv',
      'no-hosts',
      'no-poll',
      `local=/${zone}/`,
      'local=/test.invalid/',
      'local-ttl=0',
      `hostsdir=${hostsDir}`,
      `host-record=${READY_NAME},127.0.0.1`,
      ...srv.map((r) => `srv-host=${r.name},${r.target},${r.port},${r.priority ?? 0},${r.weight ?? 0}`),
    ]
    await writeFile(confPath, `${lines.join('\n')}\n`, { mode: 0o644 })
  }

  const waitAnswering = async (): Promise<void> => {
    const resolver = new dns.Resolver({ timeout: 200, tries: 1 })
    resolver.setServers([`127.0.0.1:${port}`])
    const deadline = Date.now() + 10_000
    for (;;) {
      if (child?.exitCode !== null && child?.exitCode !== undefined) {
        throw new Error(`dnsmasq exited with ${child.exitCode}: ${output}`)
      }
      try {
        await resolver.resolve4(READY_NAME)
        return
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`dnsmasq did not answer within 10 s: ${String(err)}; output: ${output}`)
        await sleep(50)
      }
    }
  }

  const launch = async (): Promise<void> => {
    await writeConf()
    output = ''
    child = spawn(DNSMASQ, ['--keep-in-foreground', `--conf-file=${confPath}`, '--pid-file=', '--log-facility=-'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
    await waitAnswering()
  }

  const kill = async (): Promise<void> => {
    const c = child
    child = undefined
    if (c === undefined || c.exitCode !== null) return
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()))
    c.kill('SIGTERM')
    await exited
  }

  await launch()
  let stopped: Promise<void> | undefined
  const server: Dnsmasq = {
    port,
    server: `127.0.0.1:${port}`,
    resolver() {
      const resolver = new dns.Resolver({ timeout: 1_000, tries: 1 })
      resolver.setServers([`127.0.0.1:${port}`])
      return resolver
    },
    async setHosts(records) {
      // write + rename so dnsmasq's inotify sees one complete file
      const tmp = join(dir, 'hosts.tmp')
      await writeFile(tmp, records.map(([address, name]) => `${address} ${name}\n`).join(''), { mode: 0o644 })
      await rename(tmp, join(hostsDir, 'records'))
    },
    async setSrv(records) {
      srv = records
      await kill()
      await launch()
    },
    stop() {
      stopped ??= (async () => {
        await kill()
        await rm(dir, { recursive: true, force: true })
      })()
      return stopped
    },
    [Symbol.asyncDispose]() {
      return server.stop()
    },
  }
  return server
}
