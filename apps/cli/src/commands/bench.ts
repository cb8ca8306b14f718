/**
 * `cohort bench`: runs the benchmark suite of `bench/` (the same runner as `pnpm bench`).
 */
import { Command } from 'commander'
import type { ProgramIO } from '../program.ts'

export function benchCommand(io: ProgramIO): Command {
  return new Command('bench')
    .description('run the benchmarks (same runner as pnpm bench)')
    .option('--quick', 'a smoke run in under a minute')
    .option('--filter <pattern>', 'only scenarios whose name matches')
    .option('--json', 'print only the JSON results')
    .action(async (flags: { quick?: boolean; filter?: string; json?: boolean }) => {
      // Imported on use: the bench package is large and only this command needs it.
      const specifier = '@cohort/bench'
      const bench = (await import(specifier)) as { runBenchmarks(options: Record<string, unknown>): Promise<unknown> }
      await bench.runBenchmarks({ quick: flags.quick === true, filter: flags.filter, json: flags.json === true, stdout: io.stdout })
    })
}
