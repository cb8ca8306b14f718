/**
 * A node whose output nobody reads any more: the parent that started it died, a `| head` ended, a container runtime
 * lost its log pipe. The node must keep serving and, told to stop, stop gracefully. Before the fix a chat node ended
 * with EPIPE at its first event after that (its shutdown's), and a node that logged two lines just before exiting
 * never exited at all: pino's exit-time flush retried the failed write forever, SIGTERM included.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const TEST_DIR = fileURLToPath(new URL('..', import.meta.url))
const entry = (app: string): string => fileURLToPath(new URL(`../../apps/${app}/dist/main.js`, import.meta.url))

const NODE_ENV = {
  COHORT_NODE_NAME: 'closed-output@127.0.0.1',
  COHORT_HOST: '127.0.0.1',
  COHORT_PORT: '0',
  COHORT_COOKIE: 'closed-output-test-cookie-0123456789abcdef',
  COHORT_PROBE_HOST: '127.0.0.1',
  COHORT_PROBE_PORT: '0',
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: '0',
  REDIS_HOST: '127.0.0.1',
  REDIS_PORT: '0',
  COHORT_DRAIN_DELAY_MS: '0',
  LOG_LEVEL: 'info',
  FEED_URL: 'ws://127.0.0.1:9',
}

const NODES = [
  { app: 'chat', args: [entry('chat')], httpField: 'url' },
  { app: 'cache', args: [entry('cache')], httpField: 'http' },
  { app: 'cli (cohort start)', args: [entry('cli'), 'start'], httpField: 'probes' },
  // No quote feed listens: the node runs without one, as it does while its feed restarts.
  { app: 'the news example', args: [entry('examples/news-ticker')], httpField: 'probes' },
] as const

/** Every process a test started: killed after it, also when it failed by timing out (a node that would not exit). */
const started: ChildProcess[] = []
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

/** Starts `args` with Node, its output piped, and remembers it for `afterEach`. */
function start(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
  started.push(child)
  return child
}

/** The first JSON line on the child's stdout that `match` accepts. */
function firstEvent(child: ChildProcess, match: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as Record<string, unknown>
        if (match(event)) {
          lines.close()
          resolve(event)
        }
      } catch {
        // Not an event.
      }
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code} before the event`)))
  })
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

describe('a node whose output nobody reads', () => {
  for (const node of NODES) {
    it(`${node.app}: keeps serving, and stops gracefully on SIGTERM`, { timeout: 30_000 }, async () => {
      const child = start([...node.args], { env: { PATH: process.env['PATH'] ?? '', ...NODE_ENV } })
      const exited = exitOf(child)
      const ready = await firstEvent(child, (e) => e['type'] === 'ready')
      const base = String(ready[node.httpField])
      child.stdout!.destroy()
      child.stderr!.destroy()
      expect((await fetch(new URL('/livez', base))).status).toBe(200)
      child.kill('SIGTERM')
      expect(await exited).toEqual({ code: 0, signal: null })
    })
  }

  it('cohort status --watch: ends quietly (exit 0, no stack trace) once its reader goes away, as `| head` does', { timeout: 30_000 }, async () => {
    const node = start([entry('cli'), 'start'], { env: { PATH: process.env['PATH'] ?? '', ...NODE_ENV } })
    const ready = await firstEvent(node, (e) => e['type'] === 'ready')
    const args = ['status', '--node', NODE_ENV.COHORT_NODE_NAME, '--url', String(ready['url']), '--cookie', NODE_ENV.COHORT_COOKIE, '--watch', '--interval-ms', '100']
    const watch = start([entry('cli'), ...args])
    const exited = exitOf(watch)
    let stderr = ''
    watch.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    await new Promise<void>((resolve) => watch.stdout!.once('data', () => resolve()))
    watch.stdout!.destroy()
    expect(await exited, stderr).toEqual({ code: 0, signal: null })
    expect(stderr).not.toContain('EPIPE')
  })

  it('logDestination: a process that logs just before exiting exits, its stderr closed', { timeout: 20_000 }, async () => {
    const script = `
      import { pino } from 'pino'
      import { logDestination } from '@cohort/discovery'
      const logger = pino({}, logDestination())
      process.on('SIGTERM', () => {
        logger.warn('shutdown started')
        logger.warn('shutdown finished')
        process.exit(0)
      })
      setInterval(() => {}, 1000)
      process.stdout.write(JSON.stringify({ type: 'ready' }) + '\\n')
    `
    const child = start(['--input-type=module', '-e', script], { cwd: TEST_DIR })
    const exited = exitOf(child)
    await firstEvent(child, (e) => e['type'] === 'ready')
    child.stdout!.destroy()
    child.stderr!.destroy()
    child.kill('SIGTERM')
    expect(await exited).toEqual({ code: 0, signal: null })
  })
})
