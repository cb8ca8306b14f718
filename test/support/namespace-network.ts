/**
 * A private network of Linux network namespaces for tests that need hosts with their own addresses: one bridge on
 * this machine with a /24 of 10.200.0.0/13 that no route uses yet, one namespace per host joined to it by a veth
 * pair, and optionally dnsmasq on the bridge's address answering A records for names the test chooses (each host's
 * /etc/resolv.conf points at it, through `ip netns exec`'s /etc/netns/<name>/ overlay). Every name carries a random
 * tag, so concurrent runs never collide, and `dispose` removes everything it made, also after a failed setup.
 * Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN), iproute2 and dnsmasq; `namespacesUnavailable` says why not.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { promises as dns } from 'node:dns'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DNSMASQ } from './dnsmasq.ts'

/** Why namespaces cannot be made here (not root, no iproute2, no dnsmasq), or undefined when they can. */
export function namespacesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root (CI runs the suite as root)'
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' })
  if (ip.error !== undefined || ip.status !== 0) return 'the ip command is missing (install the Debian package iproute2)'
  const probe = `cohort-probe-${randomBytes(3).toString('hex')}`
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' })
  if (add.status !== 0) return `cannot create a network namespace: ${add.stderr.trim()}`
  spawnSync('ip', ['netns', 'del', probe])
  const dnsmasq = spawnSync(DNSMASQ, ['--version'], { encoding: 'utf8' })
  if (dnsmasq.error !== undefined || dnsmasq.status !== 0) return `dnsmasq not found at ${DNSMASQ} (install the Debian package dnsmasq-base)`
  return undefined
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  if (result.error !== undefined) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`)
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`)
  return result.stdout
}

/** One host: a namespace with its own address on the bridge. */
export interface NamespaceHost {
  /** The namespace's name, for `ip netns exec`. */
  readonly namespace: string
  /** Its IPv4 address on the bridge. */
  readonly address: string
  /** A label the test chose, e.g. `chat-1`. */
  readonly label: string
}

/** The network; dispose it (also on failure) to remove every namespace, link, file and process it made. */
export class NamespaceNetwork implements AsyncDisposable {
  readonly tag: string
  readonly bridge: string
  /** The bridge's own address: this machine as the hosts see it, and where dnsmasq answers. */
  readonly gateway: string
  readonly #prefix: string
  readonly #hosts: NamespaceHost[] = []
  readonly #cleanups: (() => Promise<void> | void)[] = []
  #dnsmasq: ChildProcess | undefined
  #dnsmasqOutput = ''

  private constructor(tag: string, prefix: string) {
    this.tag = tag
    this.#prefix = prefix
    this.bridge = `cbr${tag}`
    this.gateway = `${prefix}.1`
  }

  /** Creates the bridge on a free /24. */
  static async create(): Promise<NamespaceNetwork> {
    const routes = run('ip', ['-4', 'route', 'show']) + run('ip', ['-4', 'addr', 'show'])
    let prefix: string | undefined
    for (let attempt = 0; attempt < 50 && prefix === undefined; attempt++) {
      const candidate = `10.${200 + randomInt(8)}.${randomInt(256)}`
      if (!routes.includes(`${candidate}.`)) prefix = candidate
    }
    if (prefix === undefined) throw new Error('no free /24 in 10.200.0.0/13 for the test network')
    const network = new NamespaceNetwork(randomBytes(3).toString('hex'), prefix)
    try {
      run('ip', ['link', 'add', network.bridge, 'type', 'bridge'])
      network.#cleanups.push(() => void spawnSync('ip', ['link', 'del', network.bridge]))
      run('ip', ['addr', 'add', `${network.gateway}/24`, 'dev', network.bridge])
      run('ip', ['link', 'set', network.bridge, 'up'])
    } catch (error) {
      await network.dispose()
      throw error
    }
    return network
  }

  get hosts(): readonly NamespaceHost[] {
    return this.#hosts
  }

  /** Adds a host: a namespace, a veth pair to the bridge, the next address, loopback up, a default route. */
  addHost(label: string): NamespaceHost {
    const index = this.#hosts.length
    if (index > 200) throw new Error('at most 200 hosts on one test network')
    const host: NamespaceHost = { namespace: `cohort-${this.tag}-${label}`, address: `${this.#prefix}.${10 + index}`, label }
    const outside = `ch${this.tag}${index.toString(16).padStart(2, '0')}`
    const inside = `ci${this.tag}${index.toString(16).padStart(2, '0')}`
    run('ip', ['netns', 'add', host.namespace])
    this.#cleanups.push(async () => {
      spawnSync('ip', ['netns', 'del', host.namespace])
      await rm(`/etc/netns/${host.namespace}`, { recursive: true, force: true })
    })
    run('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside])
    this.#cleanups.push(() => void spawnSync('ip', ['link', 'del', outside]))
    run('ip', ['link', 'set', inside, 'netns', host.namespace])
    run('ip', ['link', 'set', outside, 'master', this.bridge, 'up'])
    const inNs = (...args: string[]): string => run('ip', ['-n', host.namespace, ...args])
    inNs('link', 'set', 'lo', 'up')
    inNs('link', 'set', inside, 'name', 'eth0')
    inNs('addr', 'add', `${host.address}/24`, 'dev', 'eth0')
    inNs('link', 'set', 'eth0', 'up')
    inNs('route', 'add', 'default', 'via', this.gateway)
    this.#hosts.push(host)
    return host
  }

  /**
   * Starts dnsmasq on the gateway's port 53, answering `records` (name → addresses) and nothing else, and points
   * every host's resolver at it. Resolves once it answers.
   */
  async startDns(records: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), `cohort-dns-${this.tag}-`))
    this.#cleanups.push(() => rm(dir, { recursive: true, force: true }))
    // dnsmasq started as root drops to its own user: what it reads must be world-readable.
    await chmod(dir, 0o755)
    const hostsFile = join(dir, 'hosts')
    await writeFile(hostsFile, [...records].flatMap(([name, addresses]) => addresses.map((a) => `${a} ${name}\n`)).join(''), { mode: 0o644 })
    const child = spawn(
      DNSMASQ,
      [
        '--keep-in-foreground', '--conf-file=/dev/null', '--pid-file=', '--log-facility=-',
        `--listen-address=${this.gateway}`, '--bind-interfaces', '--port=53',
        '--no-resolv', '--no-hosts', '--no-poll', `--addn-hosts=${hostsFile}`, '--local-ttl=0',
        // Names with no record fail at once instead of being forwarded anywhere.
        '--local=/#/',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.#dnsmasq = child
    child.stdout.on('data', (d: Buffer) => (this.#dnsmasqOutput += d.toString()))
    child.stderr.on('data', (d: Buffer) => (this.#dnsmasqOutput += d.toString()))
    this.#cleanups.push(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      await exited
    })
    for (const host of this.#hosts) {
      await mkdir(`/etc/netns/${host.namespace}`, { recursive: true, mode: 0o755 })
      await writeFile(`/etc/netns/${host.namespace}/resolv.conf`, `nameserver ${this.gateway}\n`, { mode: 0o644 })
    }
    const [first] = records.keys()
    if (first === undefined) return
    const resolver = new dns.Resolver({ timeout: 200, tries: 1 })
    resolver.setServers([this.gateway])
    const deadline = Date.now() + 10_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`dnsmasq exited with ${child.exitCode}: ${this.#dnsmasqOutput}`)
      try {
        await resolver.resolve4(first)
        return
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`dnsmasq did not answer within 10 s: ${String(error)}; output: ${this.#dnsmasqOutput}`)
        await sleep(50)
      }
    }
  }

  /** Removes everything, newest first; never throws, so it is safe in `finally` and after a failed setup. */
  async dispose(): Promise<void> {
    for (const cleanup of this.#cleanups.splice(0).reverse()) {
      try {
        await cleanup()
      } catch {
        // keep removing the rest
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose()
  }
}
