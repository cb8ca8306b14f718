/**
 * Ref: a cluster-unique reference, used to tag monitors, calls and timers. Unique because it carries the node name
 * and incarnation of its maker, plus a serial number.
 */

/** A cluster-unique reference. */
export class Ref {
  readonly node: string
  readonly id: number
  readonly creation: number

  constructor(node: string, id: number, creation: number) {
    this.node = node
    this.id = id
    this.creation = creation
  }

  equals(other: unknown): boolean {
    return (
      other instanceof Ref && other.id === this.id && other.node === this.node && other.creation === this.creation
    )
  }

  /** Built on first use: monitors and calls look a ref up by its key four or five times in its life. */
  #key: string | undefined = undefined

  /** A string that identifies this ref, usable as a Map key. */
  get key(): string {
    return (this.#key ??= `${this.node}#${this.id}.${this.creation}`)
  }

  toString(): string {
    return `#Ref<${this.node}.${this.id}>`
  }

  toJSON(): string {
    return this.toString()
  }
}
