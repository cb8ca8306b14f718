/**
 * Certificates for the benchmark's TLS rows, made with the openssl CLI: a CA and one P-256 node certificate it signed,
 * which every node presents and checks its peers' against (the setup the transport's README gives for a cluster:
 * `tls` with `ca`, both sides verified). The certificate names 127.0.0.1 as an IP address for Node and as a DNS name
 * for Erlang, whose distribution checks the host it dialled as a name. The handshake happens once per connection, so
 * what the rows measure is the record layer, with the ciphers each side negotiates by default.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface BenchTls {
  /** PEM strings, as the transport's `tls` option takes them. */
  readonly cert: string
  readonly key: string
  readonly ca: string
  /** The same as files in `dir`, for `erl`'s `-ssl_dist_optfile`. */
  readonly files: { readonly cert: string; readonly key: string; readonly ca: string }
}

/** Makes the CA and the node certificate in `dir` (which must exist). */
export function makeBenchTls(dir: string): BenchTls {
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n')
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=cohort-bench-ca')
  openssl('req', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=cohort-bench-node')
  openssl('x509', '-req', '-in', 'node.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.crt', '-days', '1', '-extfile', 'san.cnf')
  const files = { cert: join(dir, 'node.crt'), key: join(dir, 'node.key'), ca: join(dir, 'ca.crt') }
  return { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8'), ca: readFileSync(files.ca, 'utf8'), files }
}
