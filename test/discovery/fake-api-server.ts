/**
 * A fake Kubernetes API server that behaves as K8S.md §10 documents, for the kubernetes() e2e suite: HTTPS with its
 * own CA, bearer tokens (401 Status on a wrong one; the valid token can rotate), EndpointSlice list with a label
 * selector and a global resourceVersion, watch streams (chunked JSON lines, events after the given version, BOOKMARK
 * on demand, the `timeoutSeconds` deadline), expired versions as an ERROR 410 event or a plain HTTP 410, and an RBAC
 * switch answering the real 403 Status.
 */
import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestCertificates } from './test-ca.ts'

type Slice = { metadata: { name: string; uid?: string; resourceVersion?: string; labels?: Record<string, string> }; [k: string]: unknown }

interface Watcher {
  res: ServerResponse
  selector: string
  bookmarks: boolean
  timer: NodeJS.Timeout
}

export interface RecordedCall {
  verb: 'list' | 'watch'
  query: Record<string, string>
  authorization: string | undefined
}

const fixtures = new URL('./fixtures/', import.meta.url)
const SLICES_PATH = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/

export class FakeApiServer {
  readonly calls: RecordedCall[] = []
  /** `event`: expired versions get 200 + ERROR 410 (the usual); `http`: a plain 410 Status. */
  goneMode: 'event' | 'http' = 'event'
  readonly #events = new EventEmitter()
  #server: Server | undefined
  #token: string
  #rv = 48230
  #oldestRv = 0
  #slices = new Map<string, Slice>()
  #history: Array<{ rv: number; type: string; object: Slice }> = []
  #watchers = new Set<Watcher>()
  #forbidden = new Set<string>()

  constructor(token: string) {
    this.#token = token
    const list = JSON.parse(readFileSync(new URL('endpointslice-list.json', fixtures), 'utf8')) as { items: Slice[] }
    for (const item of list.items) this.#slices.set(item.metadata.name, item)
  }

  get port(): number {
    return (this.#server?.address() as AddressInfo).port
  }

  async start(certs: TestCertificates): Promise<void> {
    this.#server = createServer({ key: certs.key, cert: certs.cert }, (req, res) => this.#handle(req, res))
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve))
  }

  async stop(): Promise<void> {
    this.closeWatches()
    await new Promise<void>((resolve) => {
      this.#server?.close(() => resolve())
      this.#server?.closeAllConnections()
    })
  }

  /** From now on only `token` is accepted. */
  rotateToken(token: string): void {
    this.#token = token
  }

  /** Denies `verb` on endpointslices with the real 403 Status. */
  forbid(...verbs: string[]): void {
    for (const v of verbs) this.#forbidden.add(v)
  }

  allow(): void {
    this.#forbidden.clear()
  }

  /** Adds or replaces a slice (ADDED / MODIFIED to watchers). */
  putSlice(slice: Slice): void {
    const type = this.#slices.has(slice.metadata.name) ? 'MODIFIED' : 'ADDED'
    const object = { ...slice, metadata: { ...slice.metadata, resourceVersion: String(++this.#rv) } }
    this.#slices.set(slice.metadata.name, object)
    this.#record(type, object)
  }

  deleteSlice(name: string): void {
    const slice = this.#slices.get(name)
    if (slice === undefined) throw new Error(`no slice ${name}`)
    this.#slices.delete(name)
    this.#record('DELETED', { ...slice, metadata: { ...slice.metadata, resourceVersion: String(++this.#rv) } })
  }

  slice(name: string): Slice {
    const s = this.#slices.get(name)
    if (s === undefined) throw new Error(`no slice ${name}`)
    return structuredClone(s)
  }

  /** Sends a BOOKMARK at the current version to watchers that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.#watchers) {
      if (!w.bookmarks) continue
      w.res.write(
        `${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', metadata: { resourceVersion: String(this.#rv), creationTimestamp: null }, addressType: '', endpoints: null, ports: null } })}\n`,
      )
    }
  }

  /** Compacts history (every version before now expires) and ends open watches, as an apiserver restart does. */
  expireHistory(): void {
    this.#rv += 500
    this.#oldestRv = this.#rv
    this.closeWatches()
  }

  closeWatches(): void {
    for (const w of this.#watchers) {
      clearTimeout(w.timer)
      w.res.end()
    }
    this.#watchers.clear()
  }

  /** Resolves when `count` calls with `verb` have been received in total; rejects after `timeoutMs`, listing the calls. */
  waitForCalls(verb: 'list' | 'watch', count: number, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.calls.filter((c) => c.verb === verb).length < count) return
        clearTimeout(timer)
        this.#events.off('call', check)
        resolve()
      }
      const timer = setTimeout(() => {
        this.#events.off('call', check)
        const seen = this.calls.map((c) => `${c.verb}@${c.query['resourceVersion'] ?? '-'}`).join(', ')
        reject(new Error(`expected ${count} ${verb} calls within ${timeoutMs} ms; got: ${seen}`))
      }, timeoutMs)
      this.#events.on('call', check)
      check()
    })
  }

  #record(type: string, object: Slice): void {
    this.#history.push({ rv: this.#rv, type, object })
    for (const w of this.#watchers) if (matches(object, w.selector)) this.#send(w.res, type, object)
  }

  #send(res: ServerResponse, type: string, object: Slice): void {
    res.write(`${JSON.stringify({ type, object: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', ...object } })}\n`)
  }

  #status(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://fake')
    const query = Object.fromEntries(url.searchParams)
    const watch = query['watch'] === '1' || query['watch'] === 'true'
    const verb = watch ? 'watch' : 'list'
    this.calls.push({ verb, query, authorization: req.headers.authorization })
    this.#events.emit('call')
    if (req.headers.authorization !== `Bearer ${this.#token}`) {
      return this.#status(res, 401, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 })
    }
    const match = SLICES_PATH.exec(url.pathname)
    if (match === null) {
      return this.#status(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 })
    }
    if (this.#forbidden.has(verb)) {
      const status = JSON.parse(readFileSync(new URL('forbidden-403.json', fixtures), 'utf8')) as { message: string }
      status.message = status.message.replace('cannot list', `cannot ${verb}`).replace(/namespace "demo"/, `namespace "${match[1]}"`)
      return this.#status(res, 403, status)
    }
    const selector = query['labelSelector'] ?? ''
    if (!watch) {
      const items = [...this.#slices.values()].filter((s) => matches(s, selector))
      return this.#status(res, 200, { kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1', metadata: { resourceVersion: String(this.#rv) }, items })
    }
    const from = Number(query['resourceVersion'] ?? '0')
    if (from < this.#oldestRv) {
      const expired = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${from} (${this.#oldestRv})`, reason: 'Expired', code: 410 }
      if (this.goneMode === 'http') return this.#status(res, 410, expired)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(`${JSON.stringify({ type: 'ERROR', object: expired })}\n`)
      return
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
    res.flushHeaders()
    for (const h of this.#history) if (h.rv > from && matches(h.object, selector)) this.#send(res, h.type, h.object)
    const timeoutSeconds = Number(query['timeoutSeconds'] ?? '1800')
    const watcher: Watcher = {
      res,
      selector,
      bookmarks: query['allowWatchBookmarks'] === 'true',
      // at the deadline the server just finishes the response, with no ERROR event
      timer: setTimeout(() => {
        this.#watchers.delete(watcher)
        res.end()
      }, timeoutSeconds * 1000),
    }
    this.#watchers.add(watcher)
    res.on('close', () => {
      clearTimeout(watcher.timer)
      this.#watchers.delete(watcher)
    })
  }
}

function matches(object: Slice, selector: string): boolean {
  return selector
    .split(',')
    .filter((t) => t !== '')
    .every((term) => {
      const [key, value] = term.split('=')
      return object.metadata.labels?.[key as string] === value
    })
}
