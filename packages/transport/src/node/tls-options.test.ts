/** TLS: option validation, and wss between nodes with certificates made by the openssl CLI at test time. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveTlsOptions } from './tls-options.ts'
import { logged, testNode, until } from '../test-support/nodes.ts'

/** Test certificates made with the openssl CLI: a CA, a node certificate it signed, and a self-signed rogue. */
let dir: string
let ca: string
let good: { cert: string; key: string }
let rogue: { cert: string; key: string }

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cohort-tls-'))
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n')
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=cohort-test-ca')
  openssl('req', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=cohort-node')
  openssl('x509', '-req', '-in', 'node.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.crt', '-days', '1', '-extfile', 'ext.cnf')
  openssl('req', '-x509', ...ec, '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', '1', '-subj', '/CN=rogue', '-addext', 'subjectAltName=IP:127.0.0.1')
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8')
  ca = read('ca.crt')
  good = { cert: read('node.crt'), key: read('node.key') }
  rogue = { cert: read('rogue.crt'), key: read('rogue.key') }
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('tls', () => {
  it('validates the options, never echoing the key', () => {
    expect(() => resolveTlsOptions({ cert: '', key: 'k' })).toThrow(expect.objectContaining({ option: 'tls.cert' }))
    try {
      resolveTlsOptions({ cert: 'c', key: 42 as never })
      expect.unreachable()
    } catch (error) {
      expect(error).toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'tls.key', value: 'number' })
    }
  })

  it('connects two nodes over wss with certificates signed by the CA, and carries large Buffers over it', async () => {
    const a = await testNode('a', { tls: { ...good, ca } })
    const b = await testNode('b', { tls: { ...good, ca } })
    expect(a.node.url).toMatch(/^wss:\/\/127\.0\.0\.1:/)
    await b.node.connect({ name: a.node.name, url: a.node.url })
    const pid = a.node.system.spawn({ init: () => null, handleCall: (r: unknown, _f: unknown, s: null) => ({ reply: r, state: s }) })
    expect(await b.node.system.call(pid, 'secure')).toBe('secure')
    // Large Buffers both ways, as attachments (64 KiB) and as a stream (300 KiB), through the corked TLS socket.
    for (const size of [64 * 1024, 300_000]) {
      const data = Buffer.alloc(size)
      for (let i = 0; i < size; i += 101) data[i] = i % 251
      const back = await b.node.system.call<{ data: Buffer }>(pid, { data })
      expect(Buffer.from(back.data).equals(data)).toBe(true)
    }
    // TLS sockets read the default way (`readInPlace` reads plain TCP only), and that is not worth a warning.
    for (const { node, log } of [a, b]) {
      expect(node.stats().peers.map((p) => p.framesReadInPlace)).toEqual([0])
      expect(log.records.filter((r) => String(r['msg']).startsWith('reading large frames in place'))).toEqual([])
    }
  })

  it('refuses a peer whose certificate the CA did not sign, in both directions', async () => {
    const a = await testNode('a', { tls: { ...good, ca } })
    const intruder = await testNode('intruder', { tls: { ...rogue, ca } })
    await expect(intruder.node.connect({ name: a.node.name, url: a.node.url })).rejects.toMatchObject({ code: 'COHORT_ERR_HANDSHAKE_FAILED' })
    await until(() => logged(a.log, 'tls handshake failed').length > 0, 'the tls refusal to be logged')
    await expect(a.node.connect({ name: intruder.node.name, url: intruder.node.url })).rejects.toMatchObject({ code: 'COHORT_ERR_HANDSHAKE_FAILED' })
    expect(a.node.nodes()).toEqual([])
    expect(intruder.node.nodes()).toEqual([])
  })
})
