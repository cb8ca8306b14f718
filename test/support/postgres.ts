/**
 * A throwaway PostgreSQL server for one test file: `initdb` into a fresh temporary directory, `postgres` on a free
 * loopback port, and everything removed afterwards. The server can be stopped and started again on the same port and
 * data, which is how the suites take the database away from a pool for real.
 * Readiness is a signal, not a sleep: the server's own "ready to accept connections" log line.
 * Gotchas: postgres refuses to run as root, so under root the data directory is handed to the `postgres` user and the
 * server runs with that user's uid (Debian's postgresql package creates it).
 */
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import pg from 'pg'

const POSTGRES_LIB = '/usr/lib/postgresql'

/** A running (or stopped) throwaway server. */
export interface PostgresServer extends AsyncDisposable {
  readonly host: string
  readonly port: number
  /** The server's log so far (printed by tests on failure). */
  readonly log: string[]
  /** The connection settings of `database` (user `postgres`, trust authentication on loopback). */
  connection(database?: string): pg.ClientConfig
  /** Runs one statement as the superuser on `database` (default `postgres`) with a client of its own. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<pg.QueryResult<R>>
  /** Creates a database and returns its name. */
  createDatabase(name: string): Promise<string>
  /** Fast shutdown (SIGINT: backends are terminated, clients see the connection end); resolves when it has exited. */
  stop(): Promise<void>
  /** Starts the server again on the same port and data; resolves when it accepts connections. */
  start(): Promise<void>
  /** Stops the server and removes its directory. Idempotent. */
  dispose(): Promise<void>
}

/** The newest installed server's bin directory, or a clear error naming what to install. */
function serverBinDir(): string {
  const versions = existsSync(POSTGRES_LIB)
    ? readdirSync(POSTGRES_LIB)
        .filter((v) => existsSync(join(POSTGRES_LIB, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions[0] === undefined) {
    throw new Error(`PostgreSQL server binaries not found under ${POSTGRES_LIB}/*/bin: install Debian's postgresql package`)
  }
  return join(POSTGRES_LIB, versions[0], 'bin')
}

/** The uid and gid to run the server with: our own, or the postgres user's when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    return { uid, gid }
  } catch {
    throw new Error('running as root, but there is no postgres user to run the server as: install Debian\'s postgresql package')
  }
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port from a loopback listener')
  return address.port
}

/** Initializes a cluster in a temporary directory and starts it on a free loopback port. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = serverBinDir()
  const user = serverUser()
  const dir = mkdtempSync(join(tmpdir(), 'cohort-pg-'))
  if (user !== undefined) chownSync(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  const log: string[] = []
  const spawnOptions = { ...(user ?? {}), env: { PATH: process.env['PATH'] ?? '', LC_ALL: 'C' } }
  const initdb = spawn(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
    ...spawnOptions,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  initdb.stdout.on('data', (d: Buffer) => log.push(d.toString()))
  initdb.stderr.on('data', (d: Buffer) => log.push(d.toString()))
  const initCode = await new Promise<number | null>((resolve) => initdb.once('exit', resolve))
  if (initCode !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed (exit ${initCode}):\n${log.join('')}`)
  }
  const host = '127.0.0.1'
  const port = await freeLoopbackPort()
  let server: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let disposed: Promise<void> | undefined

  const start = async (): Promise<void> => {
    if (server !== undefined) throw new Error('postgres is already running')
    // fsync off and a unix socket in our own directory: a test server, fast and private.
    const child = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', `listen_addresses=${host}`, '-c', 'fsync=off', '-c', 'full_page_writes=off',
        '-c', 'synchronous_commit=off', '-c', 'max_connections=50'],
      { ...spawnOptions, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    server = child
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stderr! }).on('line', (line) => {
        log.push(line)
        if (line.includes('database system is ready to accept connections')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`postgres exited (${code}) before accepting connections:\n${log.join('\n')}`)))
    })
  }

  const stop = async (): Promise<void> => {
    const child = server
    if (child === undefined) return
    server = undefined
    child.kill('SIGINT')
    await exited
  }

  const connection = (database = 'postgres'): pg.ClientConfig => ({ host, port, user: 'postgres', database })

  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database?: string): Promise<pg.QueryResult<R>> => {
    const client = new pg.Client(connection(database))
    await client.connect()
    try {
      return await client.query<R>(sql, params)
    } finally {
      await client.end()
    }
  }

  await start()
  const pgServer: PostgresServer = {
    host,
    port,
    log,
    connection,
    query,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`)
      await query(`CREATE DATABASE ${name}`)
      return name
    },
    stop,
    start,
    dispose() {
      disposed ??= stop().then(() => rmSync(dir, { recursive: true, force: true }))
      return disposed
    },
    [Symbol.asyncDispose]() {
      return pgServer.dispose()
    },
  }
  return pgServer
}
