/**
 * The Redis side of the cache scenarios: `redis-server` from the machine (Debian's redis-server package) as a primary
 * with replicas (`--replicaof`), without persistence, in a temporary directory. Every server is a child process of
 * the scenario and is stopped with it. A machine without `redis-server` skips the scenario with the reason.
 */
import { spawn, execFileSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { SkipScenario, sleep } from '../../child/harness.ts'
import { HOST } from '../../child/wire.ts'

/** Throws SkipScenario unless `tool` is on the PATH. */
export function requireTool(tool: string, debianPackage: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
  } catch {
    throw new SkipScenario(`${tool} is not installed (Debian package ${debianPackage})`)
  }
}

/** A free TCP port on HOST (redis-server cannot report a port it picked itself). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** True once something accepts connections on `port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST, () => {
      socket.destroy()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
  })
}

export interface RedisGroup {
  readonly primaryPort: number
  readonly replicaPorts: number[]
  stop(): Promise<void>
}

/** Starts a primary and `replicas` replicas; resolves when every replica's link to the primary is up. */
export async function startRedisGroup(replicas: number, replicaArgs: string[] = []): Promise<RedisGroup> {
  requireTool('redis-server', 'redis-server')
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-redis-'))
  const children: ChildProcess[] = []
  const start = async (args: string[]): Promise<number> => {
    const port = await freePort()
    const child = spawn(
      'redis-server',
      // No persistence (a cache), and a replica syncs at once instead of after the default 5 s diskless delay.
      ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', `dump-${port}.rdb`, '--repl-diskless-sync-delay', '0', ...args],
      { stdio: 'ignore' },
    )
    children.push(child)
    for (let tries = 0; !(await accepts(port)); tries++) {
      if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited (${child.exitCode})`)
      if (tries > 400) throw new Error(`redis-server did not listen on port ${port}`)
      await sleep(25)
    }
    return port
  }
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map((child) => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGKILL')
      })),
    )
    rmSync(dir, { recursive: true, force: true })
  }
  // However the scenario process ends (a failure included), its servers end with it.
  process.once('exit', () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  })
  const primaryPort = await start([]).catch(async (err: unknown) => {
    await stop()
    throw err
  })
  const replicaPorts: number[] = []
  try {
    for (let i = 0; i < replicas; i++) replicaPorts.push(await start(['--replicaof', HOST, String(primaryPort), ...replicaArgs]))
    for (const port of replicaPorts) {
      const client = new Redis({ host: HOST, port })
      try {
        for (let tries = 0; !(await client.info('replication')).includes('master_link_status:up'); tries++) {
          if (tries > 400) throw new Error(`the replica on port ${port} did not link up with its primary`)
          await sleep(25)
        }
      } finally {
        client.disconnect()
      }
    }
  } catch (err) {
    await stop()
    throw err
  }
  return {
    primaryPort,
    replicaPorts,
    stop,
  }
}

/** Waits until every replica has applied everything its primary wrote (replication offsets equal). */
export async function waitForRedisReplicas(group: RedisGroup): Promise<boolean> {
  const primary = new Redis({ host: HOST, port: group.primaryPort })
  const replicas = group.replicaPorts.map((port) => new Redis({ host: HOST, port }))
  const offset = (info: string, field: string): string | undefined => new RegExp(`^${field}:(\\d+)`, 'm').exec(info)?.[1]
  try {
    for (let tries = 0; tries < 400; tries++) {
      const target = offset(await primary.info('replication'), 'master_repl_offset')
      const applied = await Promise.all(replicas.map(async (r) => offset(await r.info('replication'), 'slave_repl_offset')))
      const sizes = await Promise.all([primary, ...replicas].map((r) => r.dbsize()))
      if (applied.every((a) => a === target) && sizes.every((s) => s === sizes[0])) return true
      await sleep(25)
    }
    return false
  } finally {
    primary.disconnect()
    for (const r of replicas) r.disconnect()
  }
}
