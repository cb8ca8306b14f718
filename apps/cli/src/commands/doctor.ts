/**
 * `cohort doctor`: day-one checks of a node's configuration (the flags of `cohort start`, the environment and mounted
 * files, so `kubectl exec <pod> -- cohort doctor` checks a pod as it runs). Exits 1 when a check failed.
 */
import { Command } from 'commander'
import { runDoctor } from '../doctor/doctor-checks.ts'
import { formatDoctorReport } from '../doctor/doctor-report.ts'
import type { ProgramIO } from '../program-io.ts'
import { envFromFlags, START_FLAGS } from './start.ts'
import { millisecondsFlag } from './milliseconds-flag.ts'

export function doctorCommand(io: ProgramIO): Command {
  const command = new Command('doctor').description(
    "check a node's configuration for what breaks clusters on day one: cookie, name, ports, discovery, handshakes with peers, tick",
  )
  for (const [flag, variable, help] of START_FLAGS) command.option(flag, `${help} [${variable}]`)
  command.option('--timeout-ms <ms>', 'how long discovery and each handshake may take', '5000')
  command.option('--json', 'print the checks as JSON')
  command.action(async (flags: Record<string, string | boolean | undefined>) => {
    const timeoutMs = millisecondsFlag('timeout-ms', flags['timeoutMs'], 1)
    const checks = await runDoctor({ env: envFromFlags(io.env, flags).env, timeoutMs })
    io.stdout(flags['json'] === true ? `${JSON.stringify(checks, null, 2)}\n` : formatDoctorReport(checks))
    if (checks.some((c) => !c.ok)) io.exit(1)
  })
  return command
}
