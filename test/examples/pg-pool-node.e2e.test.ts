/**
 * The pool example run as a node process (its compiled main.js) against a real PostgreSQL: its HTTP API, its /readyz
 * contribution, its metrics, the server taken away and given back, and a graceful SIGTERM that leaves no backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExampleProcess } from '../support/example-process.ts'
import { startPostgres } from '../support/postgres.ts'
import type { PostgresServer } from '../support/postgres.ts'

let pg: PostgresServer
const database = 'pool_node'

beforeAll(async () => {
  pg = await startPostgres()
  await pg.createDatabase(database)
})
afterAll(async () => {
  await pg?.dispose()
})

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url)
  return { status: res.status, body: await res.text() }
}

async function backends(): Promise<number[]> {
  const { rows } = await pg.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database])
  return rows.map((r) => r.pid)
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  if (line === undefined) throw new Error(`no metric ${name} in:\n${text}`)
  return Number(line.slice(name.length + 1))
}

describe('the pg pool example node', () => {
  it('serves through the pool, reports readiness and metrics, rides out a database outage, and stops gracefully', async () => {
    const node = new ExampleProcess('pg-pool', 'main', {
      COHORT_COOKIE: 'pool-example-cookie',
      COHORT_PORT: '0',
      COHORT_PROBE_HOST: '127.0.0.1',
      COHORT_PROBE_PORT: '0',
      COHORT_DRAIN_DELAY_MS: '100',
      COHORT_LOG_LEVEL: 'warn',
      PGHOST: pg.host,
      PGPORT: String(pg.port),
      PGUSER: 'postgres',
      PGDATABASE: database,
      POOL_SIZE: '2',
      POOL_CHECKOUT_TIMEOUT_MS: '300',
      HTTP_PORT: '0',
    })
    const ready = await node.waitFor((e) => e.type === 'ready')
    const { probes, http } = ready as unknown as { probes: string; http: string }
    await node.waitFor((e) => e.type === 'connectionUp' && e['alive'] === 2)
    expect((await get(`${probes}/readyz`)).status).toBe(200)
    const now = await get(`${http}/now`)
    expect(now.status).toBe(200)
    expect(Date.parse((JSON.parse(now.body) as { now: string }).now)).not.toBeNaN()
    expect(metric((await get(`${probes}/metrics`)).body, 'cohort_pg_pool_connections_alive')).toBe(2)

    // One backend killed: replaced, and the counter shows it.
    const [victim] = await backends()
    let mark = node.events.length
    await pg.query('SELECT pg_terminate_backend($1)', [victim])
    await node.waitFor((e) => e.type === 'connectionDown' && e['backendPid'] === victim, mark)
    await node.waitFor((e) => e.type === 'connectionUp' && e['alive'] === 2, mark)
    const metrics = (await get(`${probes}/metrics`)).body
    expect(metric(metrics, 'cohort_pg_pool_restarts_total')).toBe(1)
    expect(metrics).toMatch(/cohort_pg_pool_queue_wait_seconds\{quantile="0.99"\} /)

    // The database gone: not ready (saying why), still alive, requests fail fast with a code, nothing crashes.
    mark = node.events.length
    await pg.stop()
    await node.waitFor((e) => e.type === 'connectionDown' && e['alive'] === 0, mark)
    await node.waitFor((e) => e.type === 'gaveUp', mark)
    expect(await get(`${probes}/readyz`)).toEqual({ status: 503, body: 'not ready: pg pool not ready\n' })
    expect((await get(`${probes}/livez`)).status).toBe(200)
    const failed = await get(`${http}/now`)
    expect(failed.status).toBe(503)
    expect(JSON.parse(failed.body)).toMatchObject({ code: 'COHORT_ERR_POOL_CHECKOUT_TIMEOUT' })

    // Back again: ready without a restart of the node.
    mark = node.events.length
    await pg.start()
    await node.waitFor((e) => e.type === 'connectionUp' && e['alive'] === 2, mark)
    expect((await get(`${probes}/readyz`)).status).toBe(200)
    expect((await get(`${http}/now`)).status).toBe(200)
    expect((await backends()).length).toBe(2)

    node.kill('SIGTERM')
    expect(await node.exited).toEqual({ code: 0, signal: null })
    // The connections were closed on the way out, not left for the server to notice.
    const deadline = Date.now() + 5_000
    while ((await backends()).length > 0) {
      if (Date.now() > deadline) throw new Error(`backends left after the node stopped: ${(await backends()).join(', ')}`)
    }
  })

  it('refuses a malformed setting, naming the variable, before it starts anything', async () => {
    const node = new ExampleProcess('pg-pool', 'main', { COHORT_COOKIE: 'c', POOL_SIZE: 'four' })
    expect((await node.exited).code).toBe(1)
    expect(node.log.join('\n')).toContain('invalid POOL_SIZE: expected an integer in 1..1000, got "four"')
  })
})
