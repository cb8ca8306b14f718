/**
 * docker-compose.yml, proven as written without a Docker engine: every service's replicas run as the file says
 * (command, environment, secrets as files, replica count) each in its own network namespace with its own address,
 * the service names resolving to the replicas through dnsmasq as Docker's DNS would. The clusters form by `dnsA` on
 * the service names, every replica passes the file's healthcheck, the apps answer over HTTP and the Redis protocol
 * across replicas, and each replica stops gracefully on the stop signal within the stop grace period.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFailed } from 'vitest'
import { readComposeFile } from '../support/compose-file.ts'
import type { ComposeService } from '../support/compose-file.ts'
import { execInReplica, killAll, readableBy, startReplicas, stopReplica, waitHealthy } from '../support/compose-replicas.ts'
import { imageEnv, readDockerfile } from '../support/dockerfile.ts'
import type { Replica, ReplicaOptions } from '../support/compose-replicas.ts'
import { NamespaceNetwork, namespacesUnavailable } from '../support/namespace-network.ts'
import { waitUntil } from '../support/wait-until.ts'

const repo = fileURLToPath(new URL('../../', import.meta.url))
const file = readComposeFile(`${repo}docker-compose.yml`)
/** The image's user: `node`, uid 1000 in the Node images (the Dockerfile's USER). */
const IMAGE_UID = 1000
const unavailable = namespacesUnavailable()

interface ClusterReport {
  nodes: { node: string; nodes: string[] }[]
  down: { node: string; reason: string }[]
  silent: unknown[]
}

/** The real uid a process runs as (from /proc). */
const uidOf = (pid: number): number => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])

const service = (name: string): ComposeService => {
  const found = file.services.find((s) => s.name === name)
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`)
  return found
}
const httpPort = (s: ComposeService): number => Number(s.environment['HTTP_PORT'])

describe('docker-compose.yml', () => {
  it('declares three replicas per app, published port ranges that fit them on the loopback address, and the secret as a file', () => {
    expect(file.services.map((s) => s.name).sort()).toEqual(['cache', 'chat'])
    for (const s of file.services) {
      expect(s.replicas, s.name).toBe(3)
      expect(s.environment['COHORT_DISCOVERY'], s.name).toBe('dnsA')
      expect(s.environment['COHORT_DNS_QUERY'], `${s.name} finds its replicas by its own service name`).toBe(s.name)
      expect(s.environment['COHORT_COOKIE'], 'the cookie is never an environment literal').toBeUndefined()
      expect(s.environment['COHORT_COOKIE_FILE']).toBe(`/run/secrets/${s.secrets[0]?.target}`)
      const http = s.ports.find((p) => p.container === httpPort(s))
      expect(http, `${s.name} publishes its HTTP port`).toBeDefined()
      expect(http!.hostTo - http!.hostFrom + 1, `${s.name}: one published HTTP port per replica`).toBe(s.replicas)
      expect(s.healthcheck?.command.join(' ')).toContain(`127.0.0.1:${httpPort(s)}/readyz`)
      const grace = Number(s.environment['COHORT_GRACE_PERIOD_MS']) + Number(s.environment['COHORT_DRAIN_DELAY_MS'])
      expect(grace, `${s.name}: the shutdown sequence fits in stop_grace_period`).toBeLessThan(s.stopGracePeriodMs)
    }
    const redis = service('cache').ports.find((p) => p.container === Number(service('cache').environment['REDIS_PORT']))
    expect(redis!.hostTo - redis!.hostFrom + 1).toBe(3)
    // Host port ranges never overlap between services, and each is published on the host's loopback address only
    // (Docker publishes on every interface unless told; the cache takes writes from anyone who reaches it).
    const ranges = file.services.flatMap((s) => s.ports).sort((a, b) => a.hostFrom - b.hostFrom)
    for (const r of ranges) expect(r.hostIp, `host ports ${r.hostFrom}-${r.hostTo}`).toBe('127.0.0.1')
    ranges.slice(1).forEach((r, i) => expect(r.hostFrom).toBeGreaterThan(ranges[i]!.hostTo))
  })

  it.skipIf(unavailable !== undefined)(
    `runs as written in network namespaces: clusters by DNS, healthy, serving, graceful stop${unavailable === undefined ? '' : ` — skipped: ${unavailable}`}`,
    async () => {
      for (const tool of ['redis-cli', 'setpriv']) {
        if (spawnSync(tool, ['--version']).error !== undefined) throw new Error(`${tool} is missing: install redis-tools and util-linux`)
      }
      const entry = `${repo}${service('chat').command.at(-1)}`
      const env = imageEnv(readDockerfile(`${repo}Dockerfile`), 'runtime')
      const options: ReplicaOptions = { workdir: repo, uid: readableBy(IMAGE_UID, entry) ? IMAGE_UID : 0, env }
      await using network = await NamespaceNetwork.create()
      let replicas: Replica[] = []
      onTestFailed(() => {
        for (const r of replicas) console.error(`--- ${r.service.name}-${r.index} (${r.host.address}) ---\n${r.log.join('\n')}`)
      })
      try {
        replicas = await startReplicas(file, network, options)
        expect(replicas).toHaveLength(6)
        await Promise.all(replicas.map((r) => waitHealthy(r, options)))
        for (const r of replicas) {
          expect(uidOf(r.child.pid!), `${r.service.name}-${r.index} runs as the image's user`).toBe(options.uid)
          // The node process itself (the launcher execs it) holds the file's command and the image's environment.
          const argv = readFileSync(`/proc/${r.child.pid!}/cmdline`, 'utf8').split('\0').filter((a) => a !== '')
          expect(argv.slice(1), `${r.service.name}-${r.index}`).toEqual(r.service.command.slice(1))
          // (glibc cuts GLIBC_TUNABLES at each ':' in place when it reads it, so only its first tunable is compared.)
          const environ = readFileSync(`/proc/${r.child.pid!}/environ`, 'utf8').split('\0')
          for (const [key, value] of Object.entries(env)) expect(environ, `${r.service.name}-${r.index}`).toContain(`${key}=${value.split(':')[0]}`)
          // Inside a replica, its service name resolves to every replica, as Docker's DNS answers it.
          const lookup = await execInReplica(r, ['node', '-e', `require('node:dns').promises.resolve4('${r.service.name}').then((a) => console.log(a.sort().join(' ')))`], { ...options, timeoutMs: 10_000 })
          const expected = replicas.filter((x) => x.service === r.service).map((x) => x.host.address).sort()
          expect(lookup.output.trim(), `${r.service.name} from ${r.service.name}-${r.index}`).toBe(expected.join(' '))
        }

        for (const s of file.services) {
          const mine = replicas.filter((r) => r.service === s)
          const names = mine.map((r) => `${s.environment['COHORT_BASENAME']}@${r.host.address}`).sort()
          for (const r of mine) {
            const report = await waitUntil(
              `${s.name}-${r.index} sees its service's cluster`,
              async () => (await (await fetch(`http://${r.host.address}:${httpPort(s)}/observer/cluster.json`)).json()) as ClusterReport,
              (x) => x.nodes.length === names.length && x.nodes.every((n) => n.nodes.length === names.length - 1),
            )
            expect(report.nodes.map((n) => n.node)).toEqual(names)
            expect(report.down).toEqual([])
            expect(report.silent).toEqual([])
          }
        }

        const chat = replicas.filter((r) => r.service.name === 'chat')
        for (const r of chat) {
          const page = await fetch(`http://${r.host.address}:${httpPort(r.service)}/`)
          expect(page.status).toBe(200)
          expect(await page.text()).toContain('<html')
        }

        const cache = replicas.filter((r) => r.service.name === 'cache')
        const cacheUrl = (r: Replica): string => `http://${r.host.address}:${httpPort(r.service)}`
        const put = await fetch(`${cacheUrl(cache[0]!)}/kv/compose-proof`, { method: 'PUT', body: 'written on replica 1' })
        expect(put.status).toBeLessThan(300)
        for (const r of cache.slice(1)) {
          await waitUntil(`cache-${r.index} has the key written on cache-1`, async () => (await fetch(`${cacheUrl(r)}/kv/compose-proof`)).text(), (t) => t === 'written on replica 1')
        }
        const redisPort = service('cache').environment['REDIS_PORT']!
        const redis = (r: Replica, ...args: string[]): string => {
          const out = spawnSync('redis-cli', ['-h', r.host.address, '-p', redisPort, ...args], { encoding: 'utf8', timeout: 5000 })
          return out.stdout.trim()
        }
        expect(redis(cache[1]!, 'SET', 'answer', '42')).toBe('OK')
        await waitUntil('cache-3 answers GET answer over RESP', async () => redis(cache[2]!, 'GET', 'answer'), (v) => v === '42')

        for (const s of file.services) {
          const [first, ...rest] = replicas.filter((r) => r.service === s) as [Replica, ...Replica[]]
          const stopped = await stopReplica(first)
          expect(stopped, `${s.name}-1 stops on ${s.stopSignal} within stop_grace_period`).toMatchObject({ code: 0, killed: false })
          // Its peers saw a departure, not a crash.
          const report = await waitUntil(
            `${s.name}-2 sees ${s.name}-1 leave`,
            async () => (await (await fetch(`http://${rest[0]!.host.address}:${httpPort(s)}/observer/cluster.json`)).json()) as ClusterReport,
            (x) => x.down.length === 1,
          )
          expect(report.down).toMatchObject([{ node: `${s.environment['COHORT_BASENAME']}@${first.host.address}`, reason: 'leaving' }])
          for (const r of rest) {
            const result = await stopReplica(r)
            expect(result, `${s.name}-${r.index} stops on ${s.stopSignal} within stop_grace_period`).toMatchObject({ code: 0, killed: false })
          }
        }
      } finally {
        await killAll(replicas)
      }
    },
    120_000,
  )
})
