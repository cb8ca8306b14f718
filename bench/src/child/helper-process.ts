/**
 * A helper process a scenario starts beside itself (the peer node, the baseline's server): forked from a compiled
 * file, driven by request/response messages over IPC. IPC is used only for control and readings, never for the
 * traffic being measured.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { inheritedNodeFlags } from './node-flags.ts'

/**
 * Runs on the helper's side: answers each request with what `handler` returns. `ping` is answered here (the
 * readiness check), and `stop` runs `onStop`, answers, and exits (so a profiled helper writes its profile).
 */
export function serveRequests(handler: (request: Record<string, unknown>) => unknown, onStop?: () => Promise<void> | void): void {
  process.on('message', (raw: unknown) => {
    const { id, request } = raw as { id: number; request: Record<string, unknown> }
    if (request['type'] === 'ping') {
      process.send?.({ id, value: 'pong' })
      return
    }
    if (request['type'] === 'stop') {
      Promise.resolve(onStop?.())
        .catch(() => {})
        .then(() => process.send?.({ id, value: 'stopped' }, () => process.exit(0)))
      return
    }
    Promise.resolve()
      .then(() => handler(request))
      .then(
        (value) => process.send?.({ id, value }),
        (error: unknown) => process.send?.({ id, error: String((error as Error)?.stack ?? error) }),
      )
  })
  // The helper ends with its parent, whatever happens to the parent.
  process.on('disconnect', () => process.exit(0))
}

/** The scenario's handle on a helper process. */
export interface Helper {
  request<T = unknown>(request: Record<string, unknown>): Promise<T>
  close(): Promise<void>
  readonly process: ChildProcess
}

/**
 * Forks `file` (relative to the calling module's URL) and resolves once it is ready (its first request succeeds).
 * `cpuProfDir` turns on --cpu-prof for the helper when the run is profiled. The helper starts with the Node flags its
 * scenario process was started with (node-flags.ts).
 */
export async function startHelper(base: string, file: string, args: unknown, cpuProfDir: string | undefined, extraExecArgv: string[] = []): Promise<Helper> {
  const execArgv = [...inheritedNodeFlags(), ...extraExecArgv]
  if (cpuProfDir !== undefined) execArgv.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`)
  const child = fork(fileURLToPath(new URL(file, base)), [JSON.stringify(args)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let exited = false
  child.on('message', (raw: unknown) => {
    const { id, value, error } = raw as { id: number; value?: unknown; error?: string }
    const p = pending.get(id)
    if (p === undefined) return
    pending.delete(id)
    if (error !== undefined) p.reject(new Error(`helper ${file}: ${error}`))
    else p.resolve(value)
  })
  child.on('exit', (code, signal) => {
    exited = true
    for (const p of pending.values()) p.reject(new Error(`helper ${file} exited (${code ?? signal})`))
    pending.clear()
  })
  const helper: Helper = {
    process: child,
    request<T>(request: Record<string, unknown>): Promise<T> {
      if (exited) return Promise.reject(new Error(`helper ${file} has exited`))
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        child.send({ id, request })
      })
    },
    async close(): Promise<void> {
      if (exited) return
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      // A graceful stop first, so a profiled helper writes its profile; a kill if it does not come.
      await helper.request({ type: 'stop' }).catch(() => {})
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await done
      clearTimeout(timer)
    },
  }
  await helper.request({ type: 'ping' })
  return helper
}
