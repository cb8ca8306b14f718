/**
 * `cohort doctor`'s checks: what breaks a cluster on its first day, each tried for real against the node's own
 * configuration (the flags, environment and mounted files `cohort start` would read, inside a pod too) and reported
 * as pass or fail with the fix. In order: the configuration loads; the cookie is set and is not a well-known one; the
 * node's name resolves to an address of this machine; its port and probe port are free, or are this very node;
 * discovery answers (DNS records, or the Kubernetes API with the service account's right to list and watch
 * EndpointSlices); every peer it finds accepts a handshake with this cookie; and the peers' tick settings agree with
 * this node's.
 *
 * Everything that touches the network or the clock comes in through `DoctorIo`, so the unit tests drive it with
 * nodes on loopback and fakes.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { isCohortError } from '@cohort/core'
import { loadConfig, strategyFromConfig } from '@cohort/discovery'
import type { CohortConfig, Peer, Strategy, StrategyFromConfigOptions } from '@cohort/discovery'
import { checkNameHost, listenProblem, startNode } from '@cohort/transport'
import type { CohortNode, NameHostCheck } from '@cohort/transport'
import { pino } from 'pino'

/** One line of the report. */
export interface DoctorCheck {
  /** Short id: `config`, `cookie`, `name`, `port`, `probePort`, `discovery`, `handshake`, `tick`. */
  readonly check: string
  readonly ok: boolean
  /** What was found. */
  readonly detail: string
  /** What to do about it; undefined when it passed. */
  readonly fix?: string | undefined
}

/** What the checks reach the world through. */
export interface DoctorIo {
  env: Readonly<Record<string, string | undefined>>
  /** Reads mounted files (`*_FILE` variables, the service account). @default fs.promises.readFile */
  readFile?: (path: string) => Promise<string>
  /** @default transport's checkNameHost */
  checkNameHost?: (host: string) => Promise<NameHostCheck>
  /** How long discovery and each handshake may take. @default 5000 */
  timeoutMs?: number
  /** Passed to strategyFromConfig (an HTTP client for the Kubernetes API in tests). @default none */
  strategyOptions?: StrategyFromConfigOptions
}

/**
 * After the Kubernetes strategy's LIST answered, how long to wait for its WATCH to be refused: a service account that
 * may list but not watch EndpointSlices would find the peers once and then never see a change.
 */
const WATCH_CHECK_MS = 1_500

/** Cookies that appear in examples, demos and defaults: anyone could guess them. */
const WELL_KNOWN_COOKIES = new Set([
  'cohort-demo-cookie', 'cohort', 'cookie', 'secret', 'dev', 'test', 'changeme', 'change-me', 'password', 'demo', 'erlang',
])

/** A port is free when this process can listen on it, and is "this node" when a Cohort node of this name answers. */
async function portFree(host: string, port: number): Promise<boolean> {
  if (port === 0) return true
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, host, () => server.close(() => resolve(true)))
  })
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Runs the strategy until its first answer; with `settleMs`, a failure within that long after the answer (a refused
 * watch) still counts as the answer.
 */
async function discoverOnce(strategy: Strategy, timeoutMs: number, settleMs = 0): Promise<Peer[]> {
  let stop: (() => Promise<void>) | undefined
  const answer = new Promise<Peer[]>((resolve, reject) => {
    let settling: NodeJS.Timeout | undefined
    const run = strategy.start({
      clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout), setImmediate: (fn) => void setImmediate(fn) },
      random: Math.random,
      logger: pino({ level: 'silent' }),
      update: (set) => {
        if (settleMs === 0) resolve([...set.peers])
        else settling ??= setTimeout(() => resolve([...set.peers]), settleMs)
      },
      fail: (error) => {
        clearTimeout(settling)
        reject(error)
      },
    })
    stop = () => run.stop()
  })
  try {
    return await withTimeout(answer, timeoutMs, `discovery (${strategy.name})`)
  } finally {
    await stop?.()
  }
}

/** The fix for a failed discovery lookup, per strategy. */
function discoveryFix(config: CohortConfig, error: unknown): string {
  if (isCohortError(error, 'COHORT_ERR_KUBERNETES_FORBIDDEN')) {
    return 'give the pod\'s service account get, list and watch on endpointslices (discovery.k8s.io) in its namespace: the error above names the Role rule and RoleBinding to add (deploy/k8s/rbac.yaml has them)'
  }
  switch (config.discovery.strategy) {
    case 'dnsA':
    case 'dnsSrv':
      return `make ${config.discovery.query} resolve to the nodes (a headless Service, or a docker-compose service name), or point COHORT_DNS_SERVERS at a server that knows it`
    case 'kubernetes':
      return 'run inside the pod (kubectl exec … -- cohort doctor), where the service account and KUBERNETES_SERVICE_HOST are mounted, and check the Service name (COHORT_K8S_SERVICE)'
    default:
      return 'check the discovery settings (COHORT_DISCOVERY and its variables)'
  }
}

/** Runs every check and returns the report, in order. Never throws for what it finds. */
export async function runDoctor(io: DoctorIo): Promise<DoctorCheck[]> {
  const timeoutMs = io.timeoutMs ?? 5_000
  const out: DoctorCheck[] = []
  let config: CohortConfig
  try {
    config = await loadConfig({ env: io.env, ...(io.readFile === undefined ? {} : { readFile: io.readFile }) })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const cookieMissing = (error as { variable?: string }).variable === 'COHORT_COOKIE'
    out.push(
      cookieMissing
        ? { check: 'cookie', ok: false, detail: 'no cookie is set', fix: 'set COHORT_COOKIE, or COHORT_COOKIE_FILE to a file mounted from a Secret (--cookie for a try on a laptop); every node of the cluster needs the same one' }
        : { check: 'config', ok: false, detail: message, fix: 'correct the variable (or flag) the message names; the discovery README lists every variable' },
    )
    return out
  }
  out.push({ check: 'config', ok: true, detail: `node ${config.node.name}, port ${config.node.port}, discovery ${config.discovery.strategy}` })

  const cookie = config.node.cookie
  if (WELL_KNOWN_COOKIES.has(cookie.toLowerCase()) || cookie.length < 8) {
    out.push({
      check: 'cookie',
      ok: false,
      detail: WELL_KNOWN_COOKIES.has(cookie.toLowerCase()) ? 'the cookie is a well-known example value' : `the cookie is only ${cookie.length} characters long`,
      fix: 'generate one (openssl rand -base64 32), store it in a Secret and mount it as COHORT_COOKIE_FILE; anyone who knows the cookie can run code on every node',
    })
  } else {
    out.push({ check: 'cookie', ok: true, detail: `set (${cookie.length} characters, not a well-known value)` })
  }

  const host = config.node.name.slice(config.node.name.indexOf('@') + 1)
  const name = await (io.checkNameHost ?? checkNameHost)(host)
  const listening = name.local ? listenProblem(config.node.host, name) : undefined
  out.push(
    !name.local
      ? { check: 'name', ok: false, detail: name.problem ?? `${host} is not an address of this machine`, fix: 'set --host/COHORT_HOST (or POD_IP from the downward API) to an address of this machine that peers can reach' }
      : listening !== undefined
        ? { check: 'name', ok: false, detail: listening, fix: `pass --host ${name.addresses[0] ?? host} (or --host 0.0.0.0) so the node listens where peers dial it` }
        : { check: 'name', ok: true, detail: `${host} is an address of this machine${name.addresses.length > 0 && name.addresses[0] !== host ? ` (${name.addresses.join(', ')})` : ''}` },
  )

  // A node already running with this configuration (doctor run inside its pod) holds its ports: that is fine.
  let self: CohortNode | undefined
  const selfUrl = `ws://${config.node.host.includes(':') ? `[${config.node.host}]` : config.node.host}:${config.node.port}`
  const hiddenNode = async (): Promise<CohortNode> => {
    self ??= await startNode({ name: `cohort-doctor-${randomBytes(3).toString('hex')}@127.0.0.1`, host: '127.0.0.1', port: 0, cookie, hidden: true, tickMs: config.node.tickMs, checkNameHost: false })
    return self
  }
  try {
    if (await portFree(config.node.host, config.node.port)) {
      out.push({ check: 'port', ok: true, detail: `${config.node.host}:${config.node.port} is free` })
    } else {
      let isThisNode = false
      try {
        await withTimeout((await hiddenNode()).connect({ name: config.node.name, url: selfUrl }), timeoutMs, selfUrl)
        isThisNode = true
      } catch {
        isThisNode = false
      }
      out.push(
        isThisNode
          ? { check: 'port', ok: true, detail: `${config.node.host}:${config.node.port} is this node (${config.node.name}), running` }
          : { check: 'port', ok: false, detail: `${config.node.host}:${config.node.port} is taken by another process`, fix: 'choose another --port/COHORT_PORT, or stop what listens there (ss -ltnp)' },
      )
    }
    const probe = config.probes
    if (await portFree(probe.host, probe.port)) {
      out.push({ check: 'probePort', ok: true, detail: `${probe.host}:${probe.port} is free` })
    } else {
      const thisNodeRuns = out.some((c) => c.check === 'port' && c.detail.includes('is this node'))
      out.push(
        thisNodeRuns
          ? { check: 'probePort', ok: true, detail: `${probe.host}:${probe.port} is taken, by this running node's probes` }
          : { check: 'probePort', ok: false, detail: `${probe.host}:${probe.port} is taken by another process`, fix: 'give each node on a machine its own --probe-port/COHORT_PROBE_PORT (0 picks a free one)' },
      )
    }

    let peers: Peer[]
    try {
      const k8s = config.discovery.strategy === 'kubernetes'
      const strategy = strategyFromConfig(config.discovery, {
        env: io.env,
        ...(io.readFile === undefined ? {} : { readFile: io.readFile }),
        ...io.strategyOptions,
      })
      peers = (await discoverOnce(strategy, timeoutMs, k8s ? Math.min(WATCH_CHECK_MS, timeoutMs) : 0)).filter((p) => p.name !== config.node.name)
      const found = `${peers.length} peer${peers.length === 1 ? '' : 's'}${peers.length > 0 ? ` (${peers.slice(0, 5).map((p) => p.name).join(', ')}${peers.length > 5 ? ', …' : ''})` : ''}`
      out.push({
        check: 'discovery',
        ok: true,
        detail: `${config.discovery.strategy} answered: ${found}${config.discovery.strategy === 'kubernetes' ? `; the service account may list and watch ${config.discovery.api === 'endpoints' ? 'Endpoints' : 'EndpointSlices'}` : ''}`,
      })
    } catch (error) {
      out.push({ check: 'discovery', ok: false, detail: error instanceof Error ? error.message : String(error), fix: discoveryFix(config, error) })
      return out
    }

    for (const peer of peers) {
      try {
        const node = await hiddenNode()
        await withTimeout(node.connect(peer), timeoutMs, peer.url)
        out.push({ check: 'handshake', ok: true, detail: `${peer.name} at ${peer.url} accepted this cookie` })
        const tick = node.stats().peers.find((p) => p.node === peer.name)?.tickMs
        if (tick !== undefined && tick !== config.node.tickMs) {
          out.push({
            check: 'tick',
            ok: false,
            detail: `${peer.name} uses tickMs ${tick}, this node ${config.node.tickMs}; connections use the larger, so detection of a dead peer is slower than either side expects`,
            fix: 'give every node the same --tick-ms/COHORT_TICK_MS (the default is 15000)',
          })
        } else if (tick !== undefined) {
          out.push({ check: 'tick', ok: true, detail: `${peer.name} uses the same tickMs (${tick})` })
        }
      } catch (error) {
        const cookieRefused = (error as { closeCode?: unknown }).closeCode === 4001
        out.push({
          check: 'handshake',
          ok: false,
          detail: `${peer.name} at ${peer.url}: ${error instanceof Error ? error.message : String(error)}`,
          fix: cookieRefused
            ? 'the cookies differ: give this node and that peer the same COHORT_COOKIE (or COHORT_COOKIE_FILE)'
            : 'is the peer running and reachable from here at that address? (its name\'s host must be an address peers can dial)',
        })
      }
    }
    return out
  } finally {
    await self?.close()
  }
}
