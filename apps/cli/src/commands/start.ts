/**
 * `cohort start`: runs one node. Every flag sets the environment variable `@cohort/discovery`'s `loadConfig` reads
 * (the table is in the CLI README), so flags, env and mounted ConfigMap/Secret files are one configuration path.
 */
import { InvalidConfigError } from '@cohort/discovery'
import { Command } from 'commander'
import type { ProgramIO } from '../program-io.ts'
import { runNode } from '../run-node.ts'

/** Flag → environment variable. */
export const START_FLAGS: ReadonlyArray<readonly [flag: string, variable: string, help: string]> = [
  ['--name <node>', 'COHORT_NODE_NAME', 'full node name, e.g. chat@10.0.0.5 (default: <basename>@<host>)'],
  ['--basename <name>', 'COHORT_BASENAME', 'the part of the node name before @'],
  ['--host <address>', 'COHORT_HOST', 'address to listen on and announce'],
  ['--port <port>', 'COHORT_PORT', 'port to listen on (0 picks a free one)'],
  ['--cookie <secret>', 'COHORT_COOKIE', 'shared secret of the cluster (prefer COHORT_COOKIE_FILE)'],
  ['--discovery <strategy>', 'COHORT_DISCOVERY', 'static | localPorts | dnsA | dnsSrv | kubernetes'],
  ['--peers <list>', 'COHORT_PEERS', 'static peers: name=url,name=url'],
  ['--local-ports <range>', 'COHORT_LOCAL_PORTS', 'localPorts range, e.g. 4370-4372'],
  ['--dns-query <name>', 'COHORT_DNS_QUERY', 'DNS name to resolve (dnsA, dnsSrv)'],
  ['--probe-port <port>', 'COHORT_PROBE_PORT', 'port of /livez, /readyz and /metrics (0 picks a free one)'],
  ['--tick-ms <ms>', 'COHORT_TICK_MS', 'a peer silent this long is down'],
  ['--mask-frames <bool>', 'COHORT_MASK_FRAMES', 'true: mask frames to peers with a random key (a proxy that does not understand WebSocket on the path)'],
  ['--busy-wait-ms <ms>', 'COHORT_BUSY_WAIT_MS', 'keep polling this long after each frame instead of sleeping (0 to 1000; costs a core while it runs)'],
  ['--log-level <level>', 'COHORT_LOG_LEVEL', 'fatal | error | warn | info | debug | trace | silent'],
]

export function startCommand(io: ProgramIO): Command {
  const command = new Command('start').description('start a node of a cluster and keep it running')
  for (const [flag, variable, help] of START_FLAGS) command.option(flag, `${help} [${variable}]`)
  command.option('--demo', "also run the demo's greeter and chatter")
  command.action(async (flags: Record<string, string | boolean | undefined>) => {
    const { env, fromFlag } = envFromFlags(io.env, flags)
    try {
      await runNode(
        {
          env,
          signals: io.signals,
          exit: io.exit,
          writeEvent: (event) => io.stdout(`${JSON.stringify(event)}\n`),
        },
        { demo: flags['demo'] === true },
      )
    } catch (error) {
      throw nameTheFlag(error, fromFlag)
    }
  })
  return command
}

/**
 * The environment a node started with `flags` reads: each flag sets its variable over `base`. `fromFlag` maps the
 * variables set from a flag to the flag, so that a configuration error can name what the user typed.
 */
export function envFromFlags(
  base: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, string | boolean | undefined>>,
): { env: Record<string, string | undefined>; fromFlag: Map<string, string> } {
  const env: Record<string, string | undefined> = { ...base }
  const fromFlag = new Map<string, string>()
  for (const [flag, variable] of START_FLAGS) {
    const value = flags[flagKey(flag)]
    if (typeof value === 'string') {
      env[variable] = value
      fromFlag.set(variable, flag.split(' ')[0]!)
    }
  }
  return { env, fromFlag }
}

/**
 * A configuration error names the environment variable; when a flag set it, name the flag (and the variable), as
 * `invalid --port (COHORT_PORT): expected an integer in 0..65535, got "43x"`.
 */
export function nameTheFlag(error: unknown, fromFlag: ReadonlyMap<string, string>): unknown {
  if (!(error instanceof InvalidConfigError)) return error
  const flag = fromFlag.get(error.variable)
  if (flag === undefined) return error
  const detail = error.message.startsWith(`invalid ${error.variable}: `) ? error.message.slice(`invalid ${error.variable}: `.length) : error.message
  return new InvalidConfigError(`${flag} (${error.variable})`, detail, { cause: error })
}

/** Commander's camelCase key of a flag: `--local-ports <range>` → `localPorts`. */
function flagKey(flag: string): string {
  const long = flag.split(' ')[0]!.slice(2)
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}
