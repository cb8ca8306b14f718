/**
 * Reads the repository's Dockerfile into stages and instructions, for the tests that check it against the
 * repository (every path it copies exists or is built by its stages) and that check docker-compose.yml and
 * deploy/k8s/ against it (the commands they run are in the image). Line continuations are joined; comments dropped.
 */
import { readFileSync } from 'node:fs'

export interface Instruction {
  keyword: string
  /** The rest of the line, continuations joined. */
  args: string
  line: number
}

export interface Stage {
  name: string
  base: string
  instructions: Instruction[]
}

export interface CopyInstruction {
  stage: string
  from: string | undefined
  sources: string[]
  destination: string
}

export interface Dockerfile {
  args: Map<string, string>
  stages: Stage[]
  copies: CopyInstruction[]
}

export function readDockerfile(path: string): Dockerfile {
  const lines = readFileSync(path, 'utf8').split('\n')
  const joined: Instruction[] = []
  let current: Instruction | undefined
  lines.forEach((raw, i) => {
    const text = raw.trim()
    if (current === undefined && (text === '' || text.startsWith('#'))) return
    if (current !== undefined && text.startsWith('#')) return
    const body = text.endsWith('\\') ? text.slice(0, -1).trim() : text
    if (current === undefined) {
      const m = /^(\S+)\s*(.*)$/.exec(body)!
      current = { keyword: m[1]!.toUpperCase(), args: m[2]!, line: i + 1 }
    } else {
      current.args = `${current.args} ${body}`.trim()
    }
    if (!text.endsWith('\\')) {
      joined.push(current)
      current = undefined
    }
  })
  const args = new Map<string, string>()
  const stages: Stage[] = []
  for (const ins of joined) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=')
      args.set(name!, value ?? '')
    } else if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)
      if (m === null) throw new Error(`${path}:${ins.line}: cannot read FROM ${ins.args}`)
      const base = m[1]!.replace(/^\$\{(\w+)\}$/, (_, name: string) => args.get(name) ?? '')
      stages.push({ name: m[2] ?? String(stages.length), base, instructions: [] })
    } else {
      const stage = stages.at(-1)
      if (stage === undefined) throw new Error(`${path}:${ins.line}: ${ins.keyword} before FROM`)
      stage.instructions.push(ins)
    }
  }
  const copies = stages.flatMap((stage) =>
    stage.instructions
      .filter((i) => i.keyword === 'COPY')
      .map((i): CopyInstruction => {
        const words = i.args.split(/\s+/)
        const flags = words.filter((w) => w.startsWith('--'))
        const paths = words.filter((w) => !w.startsWith('--'))
        const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length)
        return { stage: stage.name, from, sources: paths.slice(0, -1), destination: paths.at(-1)! }
      }),
  )
  return { args, stages, copies }
}

/** The last value of `keyword` in a stage (WORKDIR, USER, CMD), or undefined. */
export function lastOf(stage: Stage, keyword: string): string | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args
}

/** Whether the final stage holds `path` (relative to its WORKDIR): some COPY puts it, or a directory above it, there. */
export function imageHolds(dockerfile: Dockerfile, path: string): boolean {
  const final = dockerfile.stages.at(-1)!
  const workdir = (lastOf(final, 'WORKDIR') ?? '/').replace(/\/$/, '')
  const wanted = `${workdir}/${path.replace(/^\.\//, '')}`
  return dockerfile.copies
    .filter((c) => c.stage === final.name)
    .some((c) => {
      const dest = c.destination.startsWith('/') ? c.destination : `${workdir}/${c.destination.replace(/^\.\//, '')}`
      const clean = dest.replace(/\/$/, '')
      return wanted === clean || wanted.startsWith(`${clean}/`)
    })
}

/**
 * The environment the image gives every command it runs: the `ENV key=value` instructions of the stage `name`, in
 * order. Only that form is read (one or more unquoted pairs); anything else is an error rather than a guess.
 */
export function imageEnv(dockerfile: Dockerfile, name: string): Record<string, string> {
  const stage = dockerfile.stages.find((s) => s.name === name)
  if (stage === undefined) throw new Error(`the Dockerfile has no stage ${name}`)
  const env: Record<string, string> = {}
  for (const ins of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    for (const pair of ins.args.split(/\s+/)) {
      const m = /^(\w+)=([^"'\s]*)$/.exec(pair)
      if (m === null) throw new Error(`Dockerfile:${ins.line}: cannot read ENV ${ins.args} (expected key=value pairs without quotes)`)
      env[m[1]!] = m[2]!
    }
  }
  return env
}
