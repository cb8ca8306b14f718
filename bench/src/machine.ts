/**
 * Facts about the machine a run measured on, reported with every run: on a shared 2-vCPU machine they
 * are part of the result.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'

export interface MachineFacts {
  cpu: string
  cores: number
  node: string
  os: string
  kernel: string
  memoryGiB: number
  /** Whether ws finds its native masking addon (bufferutil): it changes ws figures for large messages a lot. */
  bufferutil: boolean
  /** `erl`'s OTP release, or null when Erlang is not installed. */
  erlang: string | null
  /** The glibc allocator setting the scenario processes ran with (the runner sets it), or null for glibc's defaults. */
  glibcTunables?: string | null
  /** The Node flags the scenario processes ran with (the runner sets them); absent from reports made before. */
  nodeFlags?: string[]
  /**
   * The hypervisor the machine runs under (`hypervisor()`), or null on bare metal. Absent from reports made before it
   * was recorded, and undefined (left out of the JSON) where the CPU's flags cannot be read.
   */
  hypervisor?: string | null | undefined
}

/**
 * The hypervisor as the kernel named it at boot (`Hypervisor detected: KVM`, `PVM`...), `'unnamed'` when the CPU says
 * it runs under one but the kernel's log is not readable (an unprivileged user) or no longer holds the boot lines,
 * null when the CPU says there is none, and undefined where its flags cannot be read (no `/proc/cpuinfo`: not Linux).
 * Why it matters here: under a hypervisor that keeps shadow page tables (PVM) a page fault costs about 10 µs, tens of
 * times its cost under one that uses the CPU's support (KVM).
 */
export function hypervisor(): string | null | undefined {
  let cpuinfo = ''
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  } catch {
    return undefined
  }
  if (!/^flags\s*:.*\bhypervisor\b/m.test(cpuinfo)) return null
  try {
    const log = execFileSync('dmesg', [], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 })
    return /Hypervisor detected: (\S+)/.exec(log)?.[1] ?? 'unnamed'
  } catch {
    return 'unnamed'
  }
}

/** The OTP release of the installed `erl`, or null. */
export function erlangRelease(): string | null {
  try {
    return execFileSync('erl', ['-noshell', '-eval', 'io:format("~s", [erlang:system_info(otp_release)]), halt().'], {
      encoding: 'utf8',
      timeout: 20_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return null
  }
}

function hasBufferutil(): boolean {
  try {
    // Resolved from ws's own location, as ws does.
    const require = createRequire(import.meta.url)
    const wsRequire = createRequire(require.resolve('ws'))
    wsRequire('bufferutil')
    return true
  } catch {
    return false
  }
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    os: os.platform(),
    kernel: os.release(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    bufferutil: hasBufferutil(),
    erlang: erlangRelease(),
    hypervisor: hypervisor(),
  }
}

/**
 * What a full run rewrites itself: a run after another on the same code is not of changed code for those, so they do
 * not make the checkout `-dirty`.
 */
const RUN_OUTPUTS = ['bench/RESULTS.md', 'bench/charts/', 'bench/results/']

/** The git sha of the checkout (with `-dirty` when it has changes other than a run's outputs), or the core package's version. */
export function cohortVersion(repoRoot: string, fallback: string): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return changedBesidesRunOutputs(status) ? `${sha}-dirty` : sha
  } catch {
    return fallback
  }
}

/** Whether `git status --porcelain` output names a file other than a run's own outputs. */
export function changedBesidesRunOutputs(porcelain: string): boolean {
  return porcelain
    .split('\n')
    .filter((line) => line.trim() !== '')
    // "XY path", or "XY from -> to" for a rename, which changes both.
    .flatMap((line) => line.slice(3).split(' -> '))
    .some((path) => !RUN_OUTPUTS.some((output) => path === output || (output.endsWith('/') && path.startsWith(output))))
}
