/**
 * cache.resp.<set|get>.c50[.p16]: `redis-benchmark -t set,get -c 50` (Debian's redis-tools, unchanged) against one
 * node of a three-node Cohort cache that replicates every write to the other two; the baseline runs the same command
 * against `redis-server` with two replicas (`replicaof`) on this machine. `-r 100000` spreads the writes over 100,000
 * keys for both, so neither side can fold a run of writes to one key into one replicated change. Each trial is one
 * redis-benchmark run; at the end the scenario waits for the replicas of either side to converge and records whether
 * they did.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { runScenario } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { HOST } from '../../child/wire.ts'
import { startCacheCluster, waitForCacheConvergence } from './cache-cluster.ts'
import { requireTool, startRedisGroup, waitForRedisReplicas } from './redis-servers.ts'

const run = promisify(execFile)
const CLIENTS = 50
const KEYSPACE = 100_000

/** Runs redis-benchmark once; the requests per second of SET and GET. */
async function benchmark(port: number, pipeline: number, requests: number): Promise<{ set: number; get: number }> {
  const { stdout } = await run(
    'redis-benchmark',
    ['-h', HOST, '-p', String(port), '-t', 'set,get', '-c', String(CLIENTS), '-P', String(pipeline), '-n', String(requests), '-r', String(KEYSPACE), '--csv'],
    { maxBuffer: 1 << 20 },
  )
  const rps = (test: string): number => {
    const line = stdout.split('\n').find((l) => l.startsWith(`"${test}"`))
    if (line === undefined) throw new Error(`redis-benchmark printed no ${test} line:\n${stdout}`)
    return Number(line.split(',')[1]!.replace(/"/g, ''))
  }
  return { set: rps('SET'), get: rps('GET') }
}

runScenario(async (params: ScenarioParams) => {
  requireTool('redis-benchmark', 'redis-tools')
  const target = params['target'] as 'cohort' | 'redis'
  const pipeline = params['pipeline'] as number
  // Sized so a trial lasts about trialMs at the rates measured here (~30k/s unpipelined, ~200k/s with -P 16).
  const perSecond = pipeline === 1 ? 30_000 : 200_000
  const requests = Math.max(10_000, Math.round((perSecond * params.trialMs) / 1000))
  const warmup = Math.max(5_000, Math.round((perSecond * params.warmupMs) / 1000))
  const suffix = `c${CLIENTS}${pipeline === 1 ? '' : `.p${pipeline}`}`
  const prefix = target === 'cohort' ? 'cache.resp' : 'baseline.redis'

  let port: number
  let converged: () => Promise<boolean>
  let stop: () => Promise<void>
  if (target === 'cohort') {
    const cluster = await startCacheCluster(3, params.cpuProfDir)
    port = cluster.infos[0]!.redisPort
    converged = () => waitForCacheConvergence(cluster)
    stop = () => cluster.close()
  } else {
    const group = await startRedisGroup(2)
    port = group.primaryPort
    converged = () => waitForRedisReplicas(group)
    stop = () => group.stop()
  }
  try {
    await benchmark(port, pipeline, warmup)
    const set: number[] = []
    const get: number[] = []
    for (let t = 0; t < params.trials; t++) {
      const r = await benchmark(port, pipeline, requests)
      set.push(r.set)
      get.push(r.get)
    }
    const extra = { clients: CLIENTS, pipeline, keyspace: KEYSPACE, requestsPerTrial: requests, replicas: 2, converged: await converged() }
    return [
      { name: `${prefix}.set.${suffix}`, values: set, extra },
      { name: `${prefix}.get.${suffix}`, values: get, extra },
    ]
  } finally {
    await stop()
  }
})
