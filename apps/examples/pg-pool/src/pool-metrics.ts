/**
 * The pool's Prometheus metrics, added to the probe server's registry: connections alive, connection restarts, give-ups
 * and the checkout queue wait (a summary with its p50 and p99). Values are read from the pool when scraped.
 */
import { Counter, Gauge, Summary } from 'prom-client'
import type { Registry } from 'prom-client'
import type { Pool } from './pool.ts'

/** Registers the pool's metrics on `registry` (e.g. `probes.registry`). */
export function registerPoolMetrics(registry: Registry, pool: Pool): void {
  new Gauge({
    name: 'cohort_pg_pool_connections_alive',
    help: 'Connection actors connected to the database now',
    registers: [registry],
    collect() {
      this.set(pool.stats().alive)
    },
  })
  new Gauge({
    name: 'cohort_pg_pool_size',
    help: 'Connection actors the pool keeps',
    registers: [registry],
    collect() {
      this.set(pool.stats().size)
    },
  })
  const counter = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset()
        this.inc(read())
      },
    })
  }
  counter('cohort_pg_pool_restarts_total', 'Connection actors started to replace one that ended', () => pool.stats().restarts)
  counter('cohort_pg_pool_give_ups_total', "Times the connections' supervisor exceeded its restart intensity", () => pool.stats().giveUps)
  counter('cohort_pg_pool_retries_total', 'Idempotent statements retried on another connection', () => pool.stats().retries)
  const wait = new Summary({
    name: 'cohort_pg_pool_queue_wait_seconds',
    help: 'Time a checkout waited for a free connection',
    percentiles: [0.5, 0.99],
    maxAgeSeconds: 600,
    ageBuckets: 5,
    registers: [registry],
  })
  pool.onWait((ms) => wait.observe(ms / 1000))
}
