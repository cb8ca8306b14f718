/**
 * Pid: the address of an actor, local or remote. A value: it compares by value (`equals`), serializes through the
 * message codec, and prints like Erlang's `<chat@10.0.0.5.42>`. `creation` tells incarnations of a node apart, so a
 * pid of a node that restarted is never confused with a new process that got the same id.
 */

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
    return `${this.node}.${this.id}.${this.creation}`
  }

  toString(): string {
    return `<${this.node}.${this.id}>`
  }

  toJSON(): string {
    return this.toString()
  }
}

/** True when `value` is a Pid. */
export function isPid(value: unknown): value is Pid {
  return value instanceof Pid
}
