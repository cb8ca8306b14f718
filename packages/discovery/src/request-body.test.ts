import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isCohortError } from '@cohort/core'
import { afterEach, describe, expect, it } from 'vitest'
import { readRequestBody } from './request-body.ts'

const servers: import('node:http').Server[] = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

/** A server on 127.0.0.1 answering what readRequestBody(req, 16) gave: the body, or the error's code and fields. */
async function echo(): Promise<number> {
  const server = createServer((req, res) => {
    readRequestBody(req, 16).then(
      (body) => res.end(JSON.stringify({ body: body.toString() })),
      (err: unknown) => {
        const e = err as { code: string; message: string; maxBytes: number; declaredBytes?: number }
        // The rest of the body is unread: the connection cannot carry another request.
        res.setHeader('connection', 'close')
        res.end(JSON.stringify({ code: isCohortError(err) ? e.code : 'other', message: e.message, maxBytes: e.maxBytes, declaredBytes: e.declaredBytes ?? null }))
      },
    )
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** POSTs `chunks` (chunked when `length` is undefined) and resolves the server's answer. */
function post(port: number, chunks: string[], length?: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', headers: length === undefined ? {} : { 'content-length': length } }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve(JSON.parse(text)))
    })
    req.on('error', reject)
    // The server may answer and close before the rest is written: that is the point.
    for (const c of chunks) req.write(c, () => undefined)
    req.end()
  })
}

describe('readRequestBody', () => {
  it('reads a body up to the bound, declared or chunked', async () => {
    const port = await echo()
    expect(await post(port, ['0123456789abcdef'], 16)).toEqual({ body: '0123456789abcdef' })
    expect(await post(port, ['01234567', '89abcdef'])).toEqual({ body: '0123456789abcdef' })
    expect(await post(port, [], 0)).toEqual({ body: '' })
  })

  it('refuses a declared length past the bound before reading, and a chunked body once it grows past it', async () => {
    const port = await echo()
    expect(await post(port, ['x'.repeat(17)], 17)).toEqual({
      code: 'COHORT_ERR_REQUEST_TOO_LARGE',
      message: 'body of 17 bytes is larger than the limit of 16 bytes',
      maxBytes: 16,
      declaredBytes: 17,
    })
    expect(await post(port, ['x'.repeat(10), 'x'.repeat(10)])).toEqual({
      code: 'COHORT_ERR_REQUEST_TOO_LARGE',
      message: 'body is larger than the limit of 16 bytes',
      maxBytes: 16,
      declaredBytes: null,
    })
  })
})
