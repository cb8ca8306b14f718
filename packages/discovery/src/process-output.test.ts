import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { tolerateClosedReader } from './process-output.ts'

/** A stream whose reader has gone: every write fails with EPIPE, as a pipe's does. */
function closedPipe(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
    },
  })
}

describe('tolerateClosedReader', () => {
  it('reports the first write error once, and later writes neither throw nor emit an unhandled error', async () => {
    const stream = closedPipe()
    const reported: Error[] = []
    tolerateClosedReader(stream, (error) => reported.push(error))
    stream.write('first\n')
    await new Promise((resolve) => stream.once('close', resolve))
    stream.write('second\n')
    stream.write('third\n')
    await new Promise((resolve) => setImmediate(resolve))
    expect(reported.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['EPIPE'])
  })

  it('without it, the same stream would throw its error at whoever emits it (the process, for process.stdout)', () => {
    const stream = closedPipe()
    expect(() => stream.emit('error', new Error('write EPIPE'))).toThrow('write EPIPE')
  })
})
