import { describe, expect, it } from 'vitest'
import { classifyQueryError, outcomeError } from './query-outcome.ts'

// Shaped as the pg driver's DatabaseError: a SQLSTATE `code` and a `severity`.
const serverError = (code: string, severity: string, message: string) => Object.assign(new Error(message), { code, severity })

describe('classifyQueryError', () => {
  it('keeps the connection for an ordinary server error', () => {
    expect(classifyQueryError(serverError('22012', 'ERROR', 'division by zero'))).toEqual({
      ok: false,
      failure: 'server',
      message: 'division by zero',
      sqlState: '22012',
    })
  })

  it('treats a FATAL error (pg_terminate_backend) and a connection exception as a lost connection', () => {
    expect(classifyQueryError(serverError('57P01', 'FATAL', 'terminating connection due to administrator command')).failure).toBe('connectionLost')
    expect(classifyQueryError(serverError('08006', 'ERROR', 'connection failure')).failure).toBe('connectionLost')
  })

  it('treats an error without a severity (socket, driver) as a lost connection', () => {
    expect(classifyQueryError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toEqual({
      ok: false,
      failure: 'connectionLost',
      message: 'read ECONNRESET',
    })
    expect(classifyQueryError('weird')).toMatchObject({ failure: 'connectionLost', message: 'weird' })
  })
})

describe('outcomeError', () => {
  it('gives each failure kind its code and carries the SQLSTATE', () => {
    expect(outcomeError({ ok: false, failure: 'server', message: 'division by zero', sqlState: '22012' })).toMatchObject({
      code: 'COHORT_ERR_POOL_SERVER_ERROR',
      sqlState: '22012',
      message: 'server error: division by zero',
    })
    expect(outcomeError({ ok: false, failure: 'timeout', message: 'no answer within 5 ms' }).code).toBe('COHORT_ERR_POOL_QUERY_TIMEOUT')
    expect(outcomeError({ ok: false, failure: 'connectionLost', message: 'x' }).code).toBe('COHORT_ERR_POOL_CONNECTION_LOST')
  })
})
