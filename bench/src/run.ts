/**
 * `pnpm bench`: the command line of the runner. Options: --quick, --filter <pattern> (repeatable or comma-separated),
 * --json (only the JSON on stdout), --verbose, --trials N, --rounds N, --trial-ms N, --warmup-ms N, --cpu-prof [dir],
 * --malloc-defaults, --node-defaults, --no-write, --report. Exit code 1 when a scenario process failed; never because
 * of a figure.
 */
import { join } from 'node:path'
import { BENCH_DIR, runBenchmarks } from './runner.ts'
import type { BenchOptions } from './runner.ts'
import { formatTable } from './report.ts'

const USAGE = `usage: pnpm bench [options]
  --quick             smoke check: every scenario once, short trials (under a minute)
  --filter <pattern>  only scenarios matching a substring or a glob with *; repeatable or comma-separated;
                      the baselines they are compared with run too
  --json              print only the JSON on stdout (progress still goes to stderr)
  --verbose           also show what scenario processes print
  --trials <n>        trials per scenario (default 5, quick 2)
  --rounds <n>        rounds of a target's job, alternating with its baseline's (default 3, quick 1)
  --trial-ms <ms>     length of a trial (default 1000, quick 250)
  --warmup-ms <ms>    warm-up before the first trial (default 1000, quick 150)
  --cpu-prof [dir]    profile every scenario process and its helpers (default dir bench/profiles/<time>)
  --host-stalls <ms>  how long the host-stall probe spins a thread per vCPU before and after the run
                      (default 2000, quick 500; 0 leaves it out)
  --malloc-defaults   run scenarios with glibc's allocator defaults, not the transport's RECOMMENDED_GLIBC_TUNABLES
  --node-defaults     run every Node process without the transport's RECOMMENDED_NODE_FLAGS
  --no-write          do not write bench/results/*.json, nor (without --report) RESULTS.md and the charts
  --report            write RESULTS.md and charts even for a quick or filtered run
  --help`

function parse(argv: string[]): (BenchOptions & { json: boolean }) | undefined {
  const options: BenchOptions & { json: boolean } = { json: false }
  const filter: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${arg} needs a value`)
      return v
    }
    const number = (): number => {
      const v = Number(value())
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${arg} needs a positive number`)
      return v
    }
    switch (arg) {
      case '--quick':
        options.quick = true
        break
      case '--filter':
        filter.push(...value().split(',').filter((p) => p !== ''))
        break
      case '--json':
        options.json = true
        break
      case '--verbose':
        options.verbose = true
        break
      case '--trials':
        options.trials = Math.round(number())
        break
      case '--rounds':
        options.rounds = Math.round(number())
        break
      case '--trial-ms':
        options.trialMs = number()
        break
      case '--warmup-ms':
        options.warmupMs = number()
        break
      case '--cpu-prof':
        options.cpuProfDir = argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? value() : join(BENCH_DIR, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'))
        break
      case '--host-stalls': {
        const v = Number(value())
        if (!Number.isInteger(v) || v < 0) throw new Error(`${arg} needs a whole number of ms, 0 or more`)
        options.hostStallsMs = v
        break
      }
      case '--malloc-defaults':
        options.mallocDefaults = true
        break
      case '--node-defaults':
        options.nodeDefaults = true
        break
      case '--no-write':
        options.writeResults = false
        break
      case '--report':
        options.writeReport = true
        break
      case '--help':
      case '-h':
        return undefined
      case '--':
        break
      default:
        throw new Error(`unknown option ${arg}`)
    }
  }
  if (filter.length > 0) options.filter = filter
  return options
}

let options: ReturnType<typeof parse>
try {
  options = parse(process.argv.slice(2))
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${USAGE}\n`)
  process.exit(2)
}
if (options === undefined) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
const report = await runBenchmarks(options)
if (options.json) {
  const { failures: _failures, ...json } = report
  process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
} else {
  process.stdout.write(`\n${formatTable(report)}\n`)
  if (report.failures > 0) process.stdout.write(`\n${report.failures} scenario process(es) failed; see above\n`)
}
process.exitCode = report.failures > 0 ? 1 : 0
