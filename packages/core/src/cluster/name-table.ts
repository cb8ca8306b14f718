/**
 * NameTable: one node's copy of the `global` registry, shared between the registry actor (its only writer) and the
 * `GlobalRegistry` handle, so `whereis` is a synchronous lookup. Registrations are kept per home node (the node of
 * the registered process, the only node that adds or removes them); a name held by two homes at once is a conflict
 * until the loser's home removes it, and reads meanwhile return the winner under the conflict rule. It also keeps the
 * leader's reservations: names promised to a home node that has not announced them yet.
 */
import type { Pid } from '../pid.ts'
import { resolveConflict } from './name-conflict.ts'
import type { GlobalRegistration, NameConflictResolver } from './name-conflict.ts'

/** The registrations of every home node as this node knows them. */
export class NameTable {
  /** This node's name: its registrations are its own. */
  readonly node: string
  readonly #resolver: NameConflictResolver
  /** name → registrations (more than one only during a conflict). */
  readonly #byName = new Map<string, GlobalRegistration[]>()
  /** home node → name → registration. */
  readonly #byHome = new Map<string, Map<string, GlobalRegistration>>()
  /** Leader only: name → the registration promised to a home node. */
  readonly #reserved = new Map<string, GlobalRegistration>()
  /** Told when the holder of a name, as this node sees it, changes. */
  #listeners: ((name: string, pid: Pid | undefined) => void)[] = []

  constructor(node: string, resolver: NameConflictResolver) {
    this.node = node
    this.#resolver = resolver
  }

  /** The process that holds `name`, if any (under a conflict, the winner). */
  whereis(name: string): Pid | undefined {
    return this.winner(name)?.pid
  }

  /** The registration that holds `name`, if any. */
  winner(name: string): GlobalRegistration | undefined {
    const regs = this.#byName.get(name)
    if (regs === undefined) return undefined
    if (regs.length === 1) return regs[0]
    return resolveConflict(regs, this.#resolver)
  }

  /** Every registration of `name` (two or more during a conflict). */
  candidates(name: string): readonly GlobalRegistration[] {
    return this.#byName.get(name) ?? []
  }

  /** A process other than `pid` that holds or was promised `name`, if any (what makes a claim fail). */
  otherHolder(name: string, pid: Pid): Pid | undefined {
    for (const reg of this.candidates(name)) if (!reg.pid.equals(pid)) return reg.pid
    const reserved = this.#reserved.get(name)
    return reserved !== undefined && !reserved.pid.equals(pid) ? reserved.pid : undefined
  }

  /** The names that have a holder. */
  names(): string[] {
    return [...this.#byName.keys()].filter((name) => this.winner(name) !== undefined)
  }

  /** This node's registration of `name`, if any. */
  own(name: string): GlobalRegistration | undefined {
    return this.#byHome.get(this.node)?.get(name)
  }

  /** The registrations of `home` (for this node: what it sends its peers). */
  ofHome(home: string = this.node): GlobalRegistration[] {
    return [...(this.#byHome.get(home)?.values() ?? [])]
  }

  /** Calls `listener` whenever the holder of a name changes here; returns a function that stops it. */
  watch(listener: (name: string, pid: Pid | undefined) => void): () => void {
    this.#listeners = [...this.#listeners, listener]
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener)
    }
  }

  /** Runs `change` on `name` and tells the listeners if its holder changed. */
  #changing<T>(name: string, change: () => T): T {
    if (this.#listeners.length === 0) return change()
    const before = this.whereis(name)
    const result = change()
    const after = this.whereis(name)
    if (before === after || (before !== undefined && before.equals(after))) return result
    for (const listener of this.#listeners) {
      try {
        listener(name, after)
      } catch {
        // A listener's failure is its own; the table stays consistent.
      }
    }
    return result
  }

  /** Adds a registration of its home node (replacing that home's earlier one of the same name). */
  add(reg: GlobalRegistration): void {
    this.#changing(reg.name, () => this.#add(reg))
  }

  #add(reg: GlobalRegistration): void {
    const home = reg.pid.node
    this.#remove(reg.name, home)
    let regs = this.#byName.get(reg.name)
    if (regs === undefined) this.#byName.set(reg.name, (regs = []))
    regs.push(reg)
    let names = this.#byHome.get(home)
    if (names === undefined) this.#byHome.set(home, (names = new Map()))
    names.set(reg.name, reg)
    this.unreserve(reg.name, reg.pid)
  }

  /** Removes the registration of `name` by `home`; returns it, if there was one. */
  remove(name: string, home: string): GlobalRegistration | undefined {
    return this.#changing(name, () => this.#remove(name, home))
  }

  #remove(name: string, home: string): GlobalRegistration | undefined {
    const names = this.#byHome.get(home)
    const reg = names?.get(name)
    if (reg === undefined) return undefined
    names!.delete(name)
    if (names!.size === 0) this.#byHome.delete(home)
    const regs = this.#byName.get(name)!.filter((r) => r !== reg)
    if (regs.length === 0) this.#byName.delete(name)
    else this.#byName.set(name, regs)
    return reg
  }

  /** Replaces the registrations of `home` by `regs` (a peer's snapshot). */
  replaceHome(home: string, regs: readonly GlobalRegistration[]): void {
    const keep = new Set<string>()
    for (const reg of regs) {
      if (reg.pid.node !== home) continue
      keep.add(reg.name)
      this.add(reg)
    }
    for (const reg of this.ofHome(home)) if (!keep.has(reg.name)) this.remove(reg.name, home)
  }

  /** Forgets every registration and reservation of processes on `home` (it went down, or its registry did). */
  dropHome(home: string): void {
    for (const reg of this.ofHome(home)) this.remove(reg.name, home)
    for (const [name, reg] of this.#reserved) if (reg.pid.node === home) this.#reserved.delete(name)
  }

  /** Leader: promises `name` to `reg.pid` until its home announces or releases it. */
  reserve(reg: GlobalRegistration): void {
    this.#reserved.set(reg.name, reg)
  }

  /** Leader: ends a promise of `name` to `pid`. */
  unreserve(name: string, pid: Pid): void {
    if (this.#reserved.get(name)?.pid.equals(pid) === true) this.#reserved.delete(name)
  }

  /** Forgets everything (the registry stopped). */
  clear(): void {
    for (const name of this.names()) this.#changing(name, () => this.#byName.delete(name))
    this.#byName.clear()
    this.#byHome.clear()
    this.#reserved.clear()
  }
}
