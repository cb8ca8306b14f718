/**
 * TLS options for the two nodes of the wss rows: one self-signed P-256 certificate for 127.0.0.1, made with the
 * openssl CLI, which both nodes present and both trust as their CA. That is the setup the transport's README gives
 * for a cluster (`tls` with `ca`: both sides verified) with a single certificate; the handshake happens once per
 * connection, so what the rows measure is the record layer: AES-GCM, as Node and OpenSSL negotiate it by default.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TlsOptions } from '@cohort/transport'

export function selfSignedTls(): TlsOptions {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-tls-'))
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    const usage = ['-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'extendedKeyUsage=serverAuth,clientAuth']
    execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', 'node.key', '-out', 'node.crt', '-days', '1', '-subj', '/CN=cohort-bench', ...usage], { cwd: dir, stdio: 'pipe' })
    const cert = readFileSync(join(dir, 'node.crt'), 'utf8')
    return { cert, key: readFileSync(join(dir, 'node.key'), 'utf8'), ca: cert }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
