/**
 * Pid: the address of an actor, local or remote. A value: it compares by value (`equals`), serializes through the
 * message codec, and prints like Erlang's `<chat@10.0.0.5.42>`. `creation` tells incarnations of a node apart, so a
 * pid of a node that restarted is never confused with a new process that got the same id.
 */

/** What a local send needs of the live actor a pid object is bound to (bindLocal). */
export interface LocalMailbox {
  deliver(msg: unknown): unknown
  /** What runs the actor: one per actor system, so a send through a bound pid can tell its own node's actors. */
  readonly runner: unknown
}

let readLocal: (pid: Pid) => LocalMailbox | undefined
let writeLocal: (pid: Pid, actor: LocalMailbox | undefined) => void

/** The address of an actor that accepts messages of type `Msg`. */
export class Pid<Msg = unknown> {
  /** Name of the node the actor lives on, like `chat@10.0.0.5`. */
  readonly node: string
  /** Serial number of the actor within its node incarnation. */
  readonly id: number
  /** Incarnation of the node that spawned the actor. */
  readonly creation: number
  /** Phantom field that carries the message type; never present at run time. */
  declare readonly __msg?: (m: Msg) => void
  /**
   * The live local actor this pid object was made for, while it lives (process-table.ts): a local send to it skips
   * the table's lookup. Other objects for the same pid (decoded from a message, built from its fields) do not carry
   * it and are looked up. Private, so it is never compared, printed, encoded or walked.
   */
  #local: LocalMailbox | undefined = undefined
  /**
   * Built on first use and kept: group tables, the registry and applications look pids up by key, often once per
   * message, and building the string each time cost ~170 ns a lookup against ~13 ns with it kept.
   */
  #key: string | undefined = undefined

  static {
    readLocal = (pid) => pid.#local
    writeLocal = (pid, actor) => {
      pid.#local = actor
    }
  }

  constructor(node: string, id: number, creation: number) {
    this.node = node
    this.id = id
    this.creation = creation
  }

  /** True when `other` addresses the same actor. */
  equals(other: unknown): boolean {
    return (
      other instanceof Pid && other.id === this.id && other.node === this.node && other.creation === this.creation
    )
  }

  /** A string that identifies this pid, usable as a Map key. */
  get key(): string {
    return (this.#key ??= `${this.node}.${this.id}.${this.creation}`)
  }

  toString(): string {
    return `<${this.node}.${this.id}>`
  }

  toJSON(): string {
    return this.toString()
  }
}

/** The live local actor bound to this pid object, if any (bindLocal). Not exported from the package. */
export function localOf(pid: Pid): LocalMailbox | undefined {
  return readLocal(pid)
}

/** Binds `pid` to its live local actor, or unbinds it once the actor has left the process table. */
export function bindLocal(pid: Pid, actor: LocalMailbox | undefined): void {
  writeLocal(pid, actor)
}

/** True when `value` is a Pid. */
export function isPid(value: unknown): value is Pid {
  return value instanceof Pid
}
