/**
 * Certificates for wss tests, made with the openssl CLI in a temporary directory: a CA, a node certificate it signed
 * (for 127.0.0.1 and localhost, server and client use), and a self-signed rogue.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCertificates {
  readonly ca: string
  readonly good: { readonly cert: string; readonly key: string }
  readonly rogue: { readonly cert: string; readonly key: string }
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-tls-'))
  try {
    const openssl = (...args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
    }
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n')
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=cohort-test-ca')
    openssl('req', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=cohort-node')
    openssl('x509', '-req', '-in', 'node.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.crt', '-days', '1', '-extfile', 'ext.cnf')
    openssl('req', '-x509', ...ec, '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', '1', '-subj', '/CN=rogue', '-addext', 'subjectAltName=IP:127.0.0.1')
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8')
    return { ca: read('ca.crt'), good: { cert: read('node.crt'), key: read('node.key') }, rogue: { cert: read('rogue.crt'), key: read('rogue.key') } }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
