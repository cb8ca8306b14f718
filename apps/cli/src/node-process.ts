/**
 * How the CLI starts a node as a process of its own (the local demo, the narrated tour): as the Dockerfile,
 * `deploy/k8s` and `docker-compose.yml` start one, with the transport's recommended Node flags before the script and
 * its allocator setting in the environment. Both are read only when a process starts, so the parent has to pass
 * them; a demo started without them would collect and fault differently from the deployment it shows.
 */
import { RECOMMENDED_GLIBC_TUNABLES, RECOMMENDED_NODE_FLAGS } from '@cohort/transport'

/** The arguments for `spawn(process.execPath, …)`: the recommended flags, the script, then its own arguments. */
export function nodeProcessArgs(script: string, args: readonly string[] = []): string[] {
  return [...RECOMMENDED_NODE_FLAGS, script, ...args]
}

/** `env` with the recommended `GLIBC_TUNABLES`, unless it sets its own. */
export function nodeProcessEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return env['GLIBC_TUNABLES'] === undefined ? { ...env, GLIBC_TUNABLES: RECOMMENDED_GLIBC_TUNABLES } : env
}
