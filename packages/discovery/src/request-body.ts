/**
 * Reading an HTTP request's body with a bound. An endpoint that buffers a body it has not bounded lets one client hold
 * as much of the node's memory as it cares to send; `readRequestBody` refuses a body whose declared length is past
 * the bound before reading a byte of it, and stops reading one that grows past it. Used by the apps' HTTP routes
 * beside `limitConnections`, which bounds how many such requests are open at once.
 */
import type { IncomingMessage } from 'node:http'
import { RequestTooLargeError } from './errors.ts'

/**
 * The body of `req`, at most `maxBytes` long. @throws RequestTooLargeError (COHORT_ERR_REQUEST_TOO_LARGE) past it:
 * answer 413 and close the connection, since the rest of the body is left unread.
 */
export async function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > maxBytes) throw new RequestTooLargeError(maxBytes, declared)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) throw new RequestTooLargeError(maxBytes)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}
