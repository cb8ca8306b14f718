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
      let bench: { runBenchmarks(options: Record<string, unknown>): Promise<unknown> }
      try {
        bench = (await import(specifier)) as typeof bench
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error
        // The suite is not published: it lives in the repository, beside the baselines it measures against.
        throw new Error(
          'cohort bench needs the benchmark suite, which is part of the Cohort repository, not of the installed ' +
            'package: run it from a clone (pnpm install && pnpm bench, or node apps/cli/dist/main.js bench)',
          { cause: error },
        )
      }
      await bench.runBenchmarks({ quick: flags.quick === true, filter: flags.filter, json: flags.json === true, stdout: io.stdout })
    })
}
