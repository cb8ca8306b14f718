/**
 * The fake ClusterNode of discovery's tests, unit and end-to-end: `connect` calls are recorded and settled by the test
 * (`accept`, `refuse`), or at once with `acceptAll` (where the transport is not under test); `drop`/`up` emit
 * nodedown/nodeup like the transport would.
 */
import { EventEmitter } from 'node:events'
import type { ClusterNode } from '../src/cluster-node.ts'

interface PendingDial {
  name: string
  url: string
  resolve: () => void
  reject: (err: Error) => void
}

export class FakeNode implements ClusterNode {
  readonly name: string
  readonly dials: Array<{ name: string; url: string }> = []
  readonly disconnects: string[] = []
  #pending: PendingDial[] = []
  #connected = new Set<string>()
  #events = new EventEmitter()
  readonly #acceptAll: boolean

  constructor(name: string, options: { acceptAll?: boolean } = {}) {
    this.name = name
    this.#acceptAll = options.acceptAll === true
  }

  connect(peer: { name: string; url: string }): Promise<void> {
    this.dials.push({ name: peer.name, url: peer.url })
    const dial = new Promise<void>((resolve, reject) => this.#pending.push({ ...peer, resolve, reject }))
    if (this.#acceptAll) this.accept(peer.name)
    return dial
  }

  /** The URLs dialled, in order. */
  get dialled(): string[] {
    return this.dials.map((d) => d.url)
  }

  disconnect(name: string): void {
    this.disconnects.push(name)
    if (this.#connected.delete(name)) this.#events.emit('nodedown', name, 'disconnect')
  }

  nodes(): string[] {
    return [...this.#connected]
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the ClusterNode signature
  on(event: 'nodeup' | 'nodedown', listener: (...args: any[]) => void): this {
    this.#events.on(event, listener)
    return this
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the ClusterNode signature
  off(event: 'nodeup' | 'nodedown', listener: (...args: any[]) => void): this {
    this.#events.off(event, listener)
    return this
  }

  listenerCount(): number {
    return this.#events.listenerCount('nodeup') + this.#events.listenerCount('nodedown')
  }

  /** Names with a dial in flight. */
  pendingDials(): string[] {
    return this.#pending.map((p) => p.name)
  }

  /** Completes the pending dial to `name`: the connection is up. */
  accept(name: string): void {
    const dial = this.#take(name)
    this.#connected.add(name)
    this.#events.emit('nodeup', name)
    dial.resolve()
  }

  /** Fails the pending dial to `name`. */
  refuse(name: string, message = 'ECONNREFUSED', closeCode?: number): void {
    // The transport's HandshakeFailedError carries the close code that ended the attempt.
    this.#take(name).reject(Object.assign(new Error(message), { closeCode }))
  }

  /** The connection to `name` drops. */
  drop(name: string, reason = 'noconnection'): void {
    this.#connected.delete(name)
    this.#events.emit('nodedown', name, reason)
  }

  /** `name` connects to us. */
  up(name: string): void {
    this.#connected.add(name)
    this.#events.emit('nodeup', name)
  }

  #take(name: string): PendingDial {
    const i = this.#pending.findIndex((p) => p.name === name)
    if (i === -1) throw new Error(`no pending dial to ${name}`)
    const [dial] = this.#pending.splice(i, 1)
    return dial as PendingDial
  }
}
