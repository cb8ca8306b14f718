/**
 * An in-memory Kubernetes API for unit tests, behind the injected HTTP client: lists answer from `respond`, watches
 * are streams the test writes events to and ends. Every request is recorded with its URL and Authorization header.
 */
import type { KubernetesHttpClient, KubernetesHttpRequest, KubernetesHttpResponse } from '../src/kubernetes/http-client.ts'

export interface WatchStream {
  url: URL
  push(event: unknown): void
  end(): void
  /** Ends the body with a transport error. */
  error(err: Error): void
  readonly aborted: boolean
}

export interface RecordedRequest {
  url: URL
  authorization: string | undefined
  ca: string
}

type Answer = { status: number; body: unknown } | 'stream'

export class FakeApi {
  readonly requests: RecordedRequest[] = []
  readonly watches: WatchStream[] = []
  #waiters: Array<() => void> = []
  /** Decides the answer to each request; the default streams watches and 404s lists. */
  respond: (url: URL) => Answer = (url) => (url.searchParams.get('watch') ? 'stream' : { status: 404, body: {} })

  readonly http: KubernetesHttpClient = async (req: KubernetesHttpRequest): Promise<KubernetesHttpResponse> => {
    this.requests.push({ url: req.url, authorization: req.headers['authorization'], ca: req.ca })
    const answer = this.respond(req.url)
    if (answer === 'stream') {
      const stream = makeStream(req)
      this.watches.push(stream.handle)
      for (const w of this.#waiters.splice(0)) w()
      return { status: 200, headers: {}, body: stream.body }
    }
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
    return { status: answer.status, headers: {}, body: (async function* () { yield new TextEncoder().encode(text) })() }
  }

  /** Resolves when watch number `n` (1-based) has been opened. */
  async watchNumber(n: number, flush: () => Promise<void>): Promise<WatchStream> {
    for (let i = 0; i < 50 && this.watches.length < n; i++) await flush()
    const w = this.watches[n - 1]
    if (w === undefined) throw new Error(`watch ${n} was never opened (${this.watches.length} opened)`)
    return w
  }
}

function makeStream(req: KubernetesHttpRequest): { handle: WatchStream; body: AsyncIterable<Uint8Array> } {
  const queue: Array<Uint8Array | null | Error> = []
  let wake: (() => void) | undefined
  let aborted = false
  const signal = (): void => {
    wake?.()
    wake = undefined
  }
  req.signal.addEventListener('abort', () => {
    aborted = true
    queue.push(Object.assign(new Error('aborted'), { name: 'AbortError' }))
    signal()
  })
  const handle: WatchStream = {
    url: req.url,
    push(event) {
      queue.push(new TextEncoder().encode(`${JSON.stringify(event)}\n`))
      signal()
    },
    end() {
      queue.push(null)
      signal()
    },
    error(err) {
      queue.push(err)
      signal()
    },
    get aborted() {
      return aborted
    },
  }
  const body = (async function* () {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r))
      const next = queue.shift()
      if (next === null || next === undefined) return
      if (next instanceof Error) throw next
      yield next
    }
  })()
  return { handle, body }
}
