import { describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { SocketBatcher } from './socket-batcher.ts'

/** A stand-in for a ws WebSocket and its net socket, recording what happens in order. */
function fakeSocket(log: string[], name: string, withRaw = true): WebSocket {
  const raw = {
    writableCorked: 0,
    cork() {
      this.writableCorked++
      log.push(`${name} cork`)
    },
    uncork() {
      this.writableCorked--
      log.push(`${name} uncork`)
    },
    write(chunk: Buffer) {
      log.push(`${name} raw ${chunk.toString()}`)
      return true
    },
  }
  return { ...(withRaw ? { _socket: raw } : {}), send: (data: string | Buffer) => log.push(`${name} send ${String(data)}`) } as unknown as WebSocket
}

/** After the current synchronous work and its microtasks. */
const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('SocketBatcher', () => {
  it('corks each socket once per turn and uncorks them all after the turn\'s I/O', async () => {
    const log: string[] = []
    const batcher = new SocketBatcher()
    const a = fakeSocket(log, 'a')
    const b = fakeSocket(log, 'b')
    batcher.write(a, '1')
    batcher.write(b, '2')
    batcher.write(a, '3')
    expect(log).toEqual(['a cork', 'a send 1', 'b cork', 'b send 2', 'a send 3'])
    await endOfTurn()
    expect(log.slice(5)).toEqual(['a uncork', 'b uncork'])
    batcher.write(a, '4')
    await endOfTurn()
    expect(log.slice(7)).toEqual(['a cork', 'a send 4', 'a uncork'])
  })

  it('still writes to a socket it cannot cork', () => {
    const log: string[] = []
    new SocketBatcher().write(fakeSocket(log, 'x', false), 'hi')
    expect(log).toEqual(['x send hi'])
  })

  it('writes a prebuilt frame to the net socket in order with the other frames, or its payload through ws without one', async () => {
    const log: string[] = []
    const batcher = new SocketBatcher()
    const a = fakeSocket(log, 'a')
    batcher.write(a, '1')
    batcher.writeFrame(a, Buffer.from('F2'), Buffer.from('2'))
    batcher.write(a, '3')
    await endOfTurn()
    expect(log).toEqual(['a cork', 'a send 1', 'a raw F2', 'a send 3', 'a uncork'])
    const plain: string[] = []
    batcher.writeFrame(fakeSocket(plain, 'x', false), Buffer.from('F'), Buffer.from('p'))
    expect(plain).toEqual(['x send p'])
  })
})
