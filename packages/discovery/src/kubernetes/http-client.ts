/**
 * The HTTP seam of the Kubernetes client: one function that performs a GET and returns the status, headers and a body
 * stream. The default uses node:https and verifies the API server against the service-account CA; tests and unusual
 * environments inject their own.
 */
import { request } from 'node:https'

/** One GET to the API server. */
export interface KubernetesHttpRequest {
  url: URL
  headers: Record<string, string>
  /** PEM CA bundle the server certificate must chain to. */
  ca: string
  /** Aborts the request and its body stream. */
  signal: AbortSignal
}

/** The answer: the body is read as a stream (watches never end on their own before their timeout). */
export interface KubernetesHttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: AsyncIterable<Uint8Array>
}

/** Performs one request; rejects on a transport error (refused, TLS failure, abort). */
export type KubernetesHttpClient = (request: KubernetesHttpRequest) => Promise<KubernetesHttpResponse>

/** node:https with TLS verified against `ca` (never disabled: libcluster#136). */
export const nodeHttpsClient: KubernetesHttpClient = (req) =>
  new Promise((resolve, reject) => {
    const outgoing = request(req.url, { method: 'GET', headers: req.headers, ca: req.ca, signal: req.signal }, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res })
    })
    outgoing.on('error', reject)
    outgoing.end()
  })
