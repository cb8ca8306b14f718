/**
 * erlang.*: Distributed Erlang between two nodes on loopback, beside Cohort's two-node figures. Compiles
 * bench/erlang/cohort_bench.erl with erlc into a temporary directory, starts a receiver node and a sender node
 * (`erl -name ...@127.0.0.1` with a random cookie; erl starts epmd if it is not running) and reads the sender's
 * RESULT lines. Skipped, with the reason, where `erl` or `erlc` is missing. With `tls: true`, both nodes run the
 * TLS distribution (`-proto_dist inet_tls`) with the certificates of child/bench-tls.ts, both sides verified, and
 * the sender runs only the one-way trials (erlang.remote.oneway.<size>.tls); skipped where Erlang's ssl application
 * is missing (Debian's erlang-ssl). With `onewayOnly: true`, only the one-way trials too (a job of one size, run in a
 * target's rounds).
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { makeBenchTls } from '../../child/bench-tls.ts'
import { runScenario, SkipScenario } from '../../child/harness.ts'
import type { ChildResult, ScenarioParams } from '../../child/protocol.ts'

const LABELS: Record<number, string> = { 64: '64B', 1024: '1KiB', 16384: '16KiB', 65536: '64KiB', 1048576: '1MiB' }

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** True when `erl` has the ssl application, which the TLS distribution needs. */
function hasSsl(): boolean {
  const found = execFileSync('erl', ['-noshell', '-eval', 'io:format("~p", [code:which(ssl)]), halt().'], { encoding: 'utf8' })
  return !found.includes('non_existing')
}

/** `erl`'s arguments for the TLS distribution with the bench's certificates, written into `dir`. */
function tlsDistArgs(dir: string): string[] {
  const { files } = makeBenchTls(dir)
  const side = `[{certfile, "${files.cert}"}, {keyfile, "${files.key}"}, {cacertfile, "${files.ca}"}, {verify, verify_peer}`
  const conf = join(dir, 'ssl_dist.conf')
  writeFileSync(conf, `[{server, ${side}, {fail_if_no_peer_cert, true}]},\n {client, ${side}]}].\n`)
  return ['-proto_dist', 'inet_tls', '-ssl_dist_optfile', conf]
}

runScenario(async (params: ScenarioParams) => {
  if (!has('erl') || !has('erlc')) throw new SkipScenario('erl/erlc not installed (apt-get install erlang-base erlang-dev)')
  const tls = params['tls'] === true
  if (tls && !hasSsl()) throw new SkipScenario("Erlang's ssl application is not installed (apt-get install erlang-ssl)")
  const sizes = params['sizes'] as number[]
  const source = fileURLToPath(new URL('../../../erlang/cohort_bench.erl', import.meta.url))
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-erl-'))
  const cookie = randomBytes(12).toString('hex')
  const tag = `${process.pid}`
  const receiverName = `cbrecv${tag}@127.0.0.1`
  let receiver: ReturnType<typeof spawn> | undefined
  try {
    execFileSync('erlc', ['-o', dir, source], { stdio: ['ignore', 'pipe', 'pipe'] })
    const dist = tls ? tlsDistArgs(dir) : []
    receiver = spawn('erl', ['-noshell', ...dist, '-name', receiverName, '-setcookie', cookie, '-pa', dir, '-eval', 'cohort_bench:receiver().'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    await new Promise<void>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`erlang receiver did not start: ${out}`)), 30_000)
      receiver!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('READY')) {
          clearTimeout(timer)
          resolve()
        }
      })
      receiver!.once('exit', (code) => reject(new Error(`erlang receiver exited (${code}): ${out}`)))
    })
    const args = [receiverName, String(params.warmupMs), String(params.trialMs), String(params.trials), ...sizes.map(String), ...(tls || params['onewayOnly'] === true ? ['oneway'] : [])]
    const output = await new Promise<string>((resolve, reject) => {
      const sender = spawn('erl', ['-noshell', ...dist, '-name', `cbsend${tag}@127.0.0.1`, '-setcookie', cookie, '-pa', dir, '-run', 'cohort_bench', 'sender', ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let out = ''
      sender.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
      sender.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`erlang sender exited (${code}): ${out}`))))
    })
    const results: ChildResult[] = []
    for (const line of output.split('\n')) {
      const m = /^RESULT (\S+) (.*)$/.exec(line.trim())
      if (m === null) continue
      const values = m[2]!.trim().split(/\s+/).map(Number)
      const sizeMatch = /^erlang\.remote\.oneway\.(\d+)$/.exec(m[1]!)
      if (sizeMatch !== null) {
        const size = Number(sizeMatch[1])
        results.push({
          name: `erlang.remote.oneway.${LABELS[size] ?? `${size}B`}${tls ? '.tls' : ''}`,
          values,
          secondary: { unit: 'MB/s', values: values.map((v) => (v * size) / 1e6) },
          extra: { sizeBytes: size },
        })
      } else {
        results.push({ name: m[1]!, values })
      }
    }
    const otp = execFileSync('erl', ['-noshell', '-eval', 'io:format("~s", [erlang:system_info(otp_release)]), halt().'], { encoding: 'utf8' })
    return results.map((r) => ({ ...r, extra: { ...r.extra, otp: otp.trim() } }))
  } finally {
    receiver?.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
})
