/**
 * List then watch one Kubernetes collection, keeping a map of its objects: LIST, remember the list's resourceVersion,
 * WATCH from it with bookmarks; a watch that ends (its timeout, a dropped connection) resumes from the last version
 * seen; a 410 — as an HTTP status or as an ERROR event — drops the version and lists again. Failures are reported and
 * retried with capped backoff; the map (and so the last known peers) is only replaced by a successful LIST.
 * Gotchas: resourceVersions are opaque strings, compared for equality only.
 */
import type { Clock, Random } from '@cohort/core'
import type { Logger } from 'pino'
import { backoffDelay } from '../backoff.ts'
import type { BackoffOptions } from '../backoff.ts'
import { DiscoveryUnavailableError } from '../errors.ts'
import { delay } from '../internal/delay.ts'
import type { ApiClient } from './api-client.ts'
import type { RequestedAccess } from './forbidden.ts'

/** The metadata every listed object carries. */
export interface ObjectMeta {
  name?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  labels?: Record<string, string>
}

export interface KubeObject {
  metadata?: ObjectMeta
}

export interface ListWatchOptions {
  client: ApiClient
  path: string
  /** `labelSelector` / `fieldSelector`. */
  selector: Record<string, string>
  /** For the 403 message: the resource being listed. */
  access: Omit<RequestedAccess, 'verb'>
  clock: Clock
  random: Random
  logger: Logger
  retry: BackoffOptions
  requestTimeoutMs: number
  watchTimeoutSeconds: number
  /** Called with every object after a LIST and after every change. */
  onState: (objects: ReadonlyMap<string, KubeObject>) => void
  onError: (error: Error) => void
}

/** Thrown inside the loop to say: the resourceVersion expired, list again. */
class Expired extends Error {}

function keyOf(object: KubeObject): string {
  return object.metadata?.uid ?? `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`
}

export function startListWatch(options: ListWatchOptions): { stop(): Promise<void> } {
  const { client, clock, logger } = options
  const stopper = new AbortController()
  const objects = new Map<string, KubeObject>()
  let resourceVersion: string | undefined
  let failures = 0

  const list = async (): Promise<void> => {
    const body = (await client.getJson({
      path: options.path,
      query: { ...options.selector },
      access: { ...options.access, verb: 'list' },
      signal: stopper.signal,
      timeoutMs: options.requestTimeoutMs,
    })) as { metadata?: { resourceVersion?: string }; items?: KubeObject[] | null }
    if (stopper.signal.aborted) return
    if (typeof body?.metadata?.resourceVersion !== 'string' || !(Array.isArray(body.items) || body.items === null)) {
      throw new DiscoveryUnavailableError('kubernetes', `unexpected list response from ${options.path}: no items or resourceVersion`)
    }
    objects.clear()
    for (const item of body.items ?? []) objects.set(keyOf(item), item)
    resourceVersion = body.metadata.resourceVersion
    logger.debug({ objects: objects.size }, 'kubernetes list done')
    options.onState(objects)
  }

  /** Watches until the stream ends; returns whether anything arrived. */
  const watch = async (from: string): Promise<boolean> => {
    let received = false
    const events = client.watch({
      path: options.path,
      query: {
        ...options.selector,
        watch: '1',
        resourceVersion: from,
        allowWatchBookmarks: 'true',
        timeoutSeconds: String(options.watchTimeoutSeconds),
      },
      access: { ...options.access, verb: 'watch' },
      signal: stopper.signal,
      // The server ends the stream at timeoutSeconds; our deadline only catches a server that does not.
      timeoutMs: options.watchTimeoutSeconds * 1000 + options.requestTimeoutMs,
    })
    for await (const raw of events) {
      if (stopper.signal.aborted) return received
      received = true
      const event = raw as { type?: string; object?: KubeObject & { code?: number; message?: string; reason?: string } }
      const object = event.object
      const version = object?.metadata?.resourceVersion
      switch (event.type) {
        case 'ADDED':
        case 'MODIFIED':
          if (object !== undefined) objects.set(keyOf(object), object)
          break
        case 'DELETED':
          if (object !== undefined) objects.delete(keyOf(object))
          break
        case 'BOOKMARK':
          if (typeof version === 'string') resourceVersion = version
          continue
        case 'ERROR':
          if (object?.code === 410) throw new Expired(object.message ?? 'resource version expired')
          throw new DiscoveryUnavailableError(
            'kubernetes',
            `watch of ${options.path} failed: ${object?.code ?? '?'} ${object?.reason ?? ''} ${object?.message ?? ''}`.trim(),
            { cause: object },
          )
        default:
          logger.debug({ type: event.type }, 'unknown watch event ignored')
          continue
      }
      if (typeof version === 'string') resourceVersion = version
      failures = 0
      options.onState(objects)
    }
    return received
  }

  const loop = async (): Promise<void> => {
    let quietEnds = 0
    let expiredInARow = 0
    while (!stopper.signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          await list()
          expiredInARow = 0
        }
        if (stopper.signal.aborted) return
        failures = 0
        const startedAt = clock.now()
        const received = await watch(resourceVersion as string)
        if (stopper.signal.aborted) return
        // A watch that ends at its timeout is normal: resume at once. One that ends at once with nothing in it,
        // again and again, would be a hot loop: pause as on a failure, without reporting one.
        if (received || clock.now() - startedAt >= 1_000) {
          quietEnds = 0
          continue
        }
        quietEnds++
        await delay(clock, backoffDelay(quietEnds, options.retry, options.random), stopper.signal)
      } catch (err) {
        if (stopper.signal.aborted) return
        if (err instanceof Expired || (err instanceof DiscoveryUnavailableError && err.httpStatus === 410)) {
          logger.info({ reason: err.message }, 'kubernetes watch expired; listing again')
          resourceVersion = undefined
          // The first 410 re-lists at once; a list that itself keeps answering 410 is retried with backoff.
          if (++expiredInARow > 1) {
            await delay(clock, backoffDelay(expiredInARow - 1, options.retry, options.random), stopper.signal)
          }
          continue
        }
        failures++
        options.onError(err instanceof Error ? err : new Error(String(err)))
        await delay(clock, backoffDelay(failures, options.retry, options.random), stopper.signal)
      }
    }
  }

  const done = loop()
  return {
    stop() {
      stopper.abort()
      return done
    },
  }
}
