/**
 * Hostile input against a cache node in its own process, on its RESP2 port and its HTTP port, from this test process
 * as the attacker, while a client keeps writing and reading on both: bytes that are not RESP or HTTP, a bulk string
 * and a body announcing 10 GiB, headers past the limit, and half-open floods (RESP requests and HTTP bodies cut off
 * inside a 1 MiB value, HTTP requests cut off in their headers). Each bad connection gets an error that says what was
 * wrong and is closed, nothing of a cut-off request is stored, the node's descriptors and memory stay bounded, and
 * the client is served throughout. Then floods past each port's connection cap (CACHE_MAX_HTTP_CONNECTIONS and
 * CACHE_MAX_CLIENTS): the sockets past it are refused, the node holds no more than the caps, and clients already
 * connected keep being served on both ports.
 */
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { httpGet, httpPut, startCacheNode } from '../cache/support/cache-process.ts'
import type { CacheNode } from '../cache/support/cache-process.ts'
import { record } from './support/figures.ts'
import { closeAll, floodPastCap, holdOpen, rawExchange, resourcesOf, tcp } from './support/process-resources.ts'
import { waitUntil } from '../support/wait-until.ts'

const FLOOD = 250
const MAX_REQUEST_BYTES = 16 * 1024 * 1024

/** One RESP request as bytes. */
const resp = (...args: string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`

/** Writes and reads back a key over RESP and over HTTP: the node still serves its clients. */
async function served(node: CacheNode, n: string): Promise<void> {
  const reply = await rawExchange(node.redisPort, resp('SET', `resp:${n}`, `v${n}`) + resp('GET', `resp:${n}`), `v${n}\r\n`)
  expect(reply.reply).toBe(`+OK\r\n$${`v${n}`.length}\r\nv${n}\r\n`)
  await httpPut(node, `http:${n}`, `w${n}`)
  expect(await httpGet(node, `http:${n}`)).toBe(`w${n}`)
}

describe('a cache node under hostile input', () => {
  it('closes each bad connection with a clear error, stores nothing of cut-off requests, bounds descriptors and memory, and keeps serving', { timeout: 90_000 }, async () => {
    const node = await startCacheNode({ name: 'hostile@127.0.0.1' })
    const pid = node.process.child.pid as number
    const httpPort = Number(new URL(node.http).port)
    await served(node, 'before')
    const before = resourcesOf(pid)

    // RESP: bytes that are not RESP, and a bulk string announcing 10 GiB, refused before a byte of it is buffered.
    const notResp = await rawExchange(node.redisPort, Buffer.concat([Buffer.from('*\xff\r\n', 'latin1'), randomBytes(256)]))
    expect(notResp.reply).toMatch(/^-ERR Protocol error/)
    expect(notResp.closedByServer).toBe(true)
    const hugeBulk = await rawExchange(node.redisPort, '*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$10737418240\r\n')
    expect(hugeBulk.reply).toBe(`-ERR request is larger than the limit of ${MAX_REQUEST_BYTES} bytes\r\n`)
    expect(hugeBulk.closedByServer).toBe(true)
    // HTTP: bytes that are not HTTP, headers past the limit, a body announcing 10 GiB.
    const notHttp = await rawExchange(httpPort, Buffer.concat([Buffer.from([0]), randomBytes(2048)]))
    expect(notHttp.reply).toMatch(/^HTTP\/1\.1 400 Bad Request/)
    expect(notHttp.closedByServer).toBe(true)
    const bigHeaders = await rawExchange(httpPort, `GET /kv/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`)
    expect(bigHeaders.reply).toMatch(/^HTTP\/1\.1 431/)
    const hugeBody = await rawExchange(httpPort, 'PUT /kv/huge HTTP/1.1\r\nHost: x\r\nContent-Length: 10737418240\r\n\r\n')
    expect(hugeBody.reply).toMatch(/^HTTP\/1\.1 413[\s\S]*larger than the limit/)
    expect(hugeBody.closedByServer).toBe(true)
    await served(node, 'after-bad')

    // Half-open floods: a 1 MiB value cut off after 64 KiB, over RESP and over HTTP, and HTTP headers cut off.
    const cut = Buffer.alloc(64 * 1024, 0x62)
    const respCut = await holdOpen(FLOOD, node.redisPort, Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$3\r\ncut\r\n$1048576\r\n'), cut]))
    const httpCut = await holdOpen(FLOOD, httpPort, Buffer.concat([Buffer.from('PUT /kv/cut HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n'), cut]))
    const headersCut = await holdOpen(FLOOD, httpPort, 'GET /kv/x HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    // The kernel completes connections before the node accepts them: wait until it holds every one.
    const during = await waitUntil('the node to accept every flood socket', () => resourcesOf(pid), (r) => r.fds >= before.fds + 3 * FLOOD)
    await served(node, 'during')
    expect(during.fds - before.fds).toBeLessThanOrEqual(3 * FLOOD + 20)
    expect(during.rssMiB - before.rssMiB).toBeLessThan(192)

    await closeAll([...respCut, ...httpCut, ...headersCut])
    const after = await waitUntil('the node to close the flood sockets', () => resourcesOf(pid), (r) => r.fds <= before.fds + 5)
    await served(node, 'after')
    // Nothing of a refused or cut-off request was stored.
    expect(await httpGet(node, 'huge')).toBeUndefined()
    expect(await httpGet(node, 'cut')).toBeUndefined()
    expect(node.process.child.exitCode).toBeNull()
    record('cache-hostile-input', {
      floodSockets: 3 * FLOOD,
      fds: { before: before.fds, during: during.fds, after: after.fds },
      rssMiB: { before: before.rssMiB, during: during.rssMiB, after: after.rssMiB },
      kibPerHeldSocket: Math.round(((during.rssMiB - before.rssMiB) * 1024) / (3 * FLOOD)),
      answers: {
        notResp: notResp.reply.trim(),
        hugeBulk: hugeBulk.reply.trim(),
        notHttp: notHttp.reply.split('\r\n')[0],
        bigHeaders: bigHeaders.reply.split('\r\n')[0],
        hugeBody: hugeBody.reply.split('\r\n')[0],
      },
    })
  })

  it('refuses connections past each port\'s cap, holds no more than the caps, and keeps serving the clients already connected', { timeout: 90_000 }, async () => {
    const CAP = 50
    const PAST = 80
    const node = await startCacheNode({
      name: 'capped@127.0.0.1',
      env: { CACHE_MAX_HTTP_CONNECTIONS: String(CAP), CACHE_MAX_CLIENTS: String(CAP) },
    })
    const pid = node.process.child.pid as number
    const httpPort = Number(new URL(node.http).port)
    // One client on each port, connected before the floods, that keeps its connection.
    const respClient = await tcp(node.redisPort)
    const httpClient = await tcp(httpPort)
    /** Writes `request` on `socket` and resolves with what comes back once it contains `until`. */
    const ask = (socket: Socket, request: string, until: string): Promise<string> =>
      new Promise((resolve, reject) => {
        let reply = ''
        const onData = (d: Buffer): void => {
          reply += d.toString('latin1')
          if (!reply.includes(until)) return
          socket.off('data', onData)
          socket.off('close', onClose)
          resolve(reply)
        }
        const onClose = (): void => reject(new Error(`the connection closed before "${until}" came back; got ${JSON.stringify(reply)}`))
        socket.on('data', onData)
        socket.once('close', onClose)
        socket.write(request)
      })
    /** The RESP client writes a key and the HTTP client reads it. */
    const served = async (n: string): Promise<void> => {
      expect(await ask(respClient, resp('SET', `k:${n}`, `v${n}`) + resp('GET', `k:${n}`), `v${n}\r\n`)).toBe(`+OK\r\n$${`v${n}`.length}\r\nv${n}\r\n`)
      expect(await ask(httpClient, `GET /kv/k:${n} HTTP/1.1\r\nHost: x\r\n\r\n`, `v${n}`)).toMatch(/^HTTP\/1\.1 200/)
    }
    await served('before')
    // The HTTP client is in the middle of an upload when the floods come (an idle keep-alive connection would be
    // closed after its timeout, as it should be, and say nothing about the cap).
    httpClient.write('PUT /kv/uploaded HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345')
    const before = resourcesOf(pid)

    // HTTP: CAP + PAST half-sent requests; at least PAST are closed unanswered on arrival.
    const httpFlood = await floodPastCap(CAP + PAST, PAST, httpPort, 'GET /kv/x HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    // RESP: CAP + PAST idle clients; at least PAST are told so, as Redis tells them, and closed.
    const respFlood = await holdOpen(CAP + PAST, node.redisPort, '')
    let toldFull = 0
    await new Promise<void>((resolve) => {
      for (const socket of respFlood) {
        let reply = ''
        socket.on('data', (d: Buffer) => {
          reply += d.toString('latin1')
          if (reply === '-ERR max number of clients reached\r\n' && ++toldFull === PAST) resolve()
        })
      }
    })
    // The refused RESP sockets close once their goodbye is read; then the node holds the caps' worth and no more.
    const during = await waitUntil('the node to close the refused sockets', () => resourcesOf(pid), (r) => r.fds - before.fds <= 2 * CAP + 5)
    expect(httpFlood.held.length).toBeLessThanOrEqual(CAP)
    // Both clients are served while both ports are full: the upload completes, and reads back on both ports.
    expect(await ask(httpClient, '67890', '\r\n\r\n')).toMatch(/^HTTP\/1\.1 204/)
    expect(await ask(respClient, resp('GET', 'uploaded'), '1234567890\r\n')).toBe('$10\r\n1234567890\r\n')
    await served('full')

    await closeAll([...httpFlood.held, ...respFlood])
    await waitUntil('the node to close the flood sockets', () => resourcesOf(pid), (r) => r.fds <= before.fds + 5)
    // With room again, new clients are served, and /metrics counts the refusals of both ports.
    await httpPut(node, 'newcomer', 'yes')
    expect(await httpGet(node, 'newcomer')).toBe('yes')
    const metrics = await (await fetch(`${node.http}/metrics`)).text()
    const counter = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1])
    expect(counter('cohort_cache_http_connections_refused_total')).toBeGreaterThanOrEqual(PAST)
    expect(counter('cohort_cache_resp_refused_total')).toBeGreaterThanOrEqual(PAST)
    expect(node.process.child.exitCode).toBeNull()
    record('cache-connection-caps', {
      maxConnections: CAP,
      floodSockets: { http: CAP + PAST, resp: CAP + PAST },
      refused: { http: counter('cohort_cache_http_connections_refused_total'), resp: counter('cohort_cache_resp_refused_total') },
      fds: { before: before.fds, during: during.fds },
    })
  })
})
