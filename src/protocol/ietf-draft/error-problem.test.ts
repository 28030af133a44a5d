import { describe, expect, it } from 'vitest'
import * as errors from '../../model/errors.js'
import { coreErrorCodes, type CoreError } from '../../model/errors.js'
import { coreErrorProblem } from './error-problem.js'
import { problemResponse } from './problem.js'
import { INTEROP_VERSIONS } from './versions.js'

// One instance of every core error class, built from the module's exports.
type AnyErrorClass = new (...args: unknown[]) => CoreError
const instances = Object.values(errors as Record<string, unknown>)
  .filter((value): value is AnyErrorClass => typeof value === 'function' && value.prototype instanceof errors.UploadError)
  .map((ErrorClass) => new ErrorClass('id', 1, 2))

describe('coreErrorProblem', () => {
  it('covers every core error code', () => {
    expect(new Set(instances.map((error) => error.code))).toEqual(new Set(coreErrorCodes))
  })

  it.each(instances.map((error) => [error.code, error]))('[R-43] maps %s to a 4xx or 5xx problem with a detail', (_code, error) => {
    const problem = coreErrorProblem(error)
    expect(problem.status).toBeGreaterThanOrEqual(400)
    expect(problem.status).toBeLessThan(600)
    expect(problem.detail.length).toBeGreaterThan(0)
  })

  it('[R-56] [R-57] answers an offset mismatch with 409, both offsets and the current Upload-Offset', () => {
    const problem = coreErrorProblem(new errors.OffsetMismatch(5, 7))
    expect(problem).toMatchObject({ status: 409, type: 'mismatching-upload-offset', members: { 'expected-offset': 5, 'provided-offset': 7 } })
    expect(problem.headers).toEqual({ 'upload-offset': '5' })
  })

  it('[R-43] answers a lock lost mid-append 503 with the offset stored, as for every failure that kept bytes', () => {
    expect(coreErrorProblem(new errors.LockLost('id', 720896))).toMatchObject({ status: 503, headers: { 'retry-after': '1', 'upload-offset': '720896' } })
    expect(coreErrorProblem(new errors.LockLost('id')).headers).toEqual({ 'retry-after': '1' })
  })
})

describe('problemResponse', () => {
  const row = (version: number) => INTEROP_VERSIONS.find((candidate) => candidate.version === version)!

  it('uses a problem type only in versions that define it; else about:blank titled with the status', () => {
    const problem = { status: 400, type: 'completed-upload' as const, detail: 'done' }
    const v6 = JSON.parse(String(problemResponse(row(6), problem).body)) as Record<string, unknown>
    const v9 = JSON.parse(String(problemResponse(row(9), problem).body)) as Record<string, unknown>
    expect(v6.type).toBe('https://iana.org/assignments/http-problem-types#completed-upload')
    expect(v9.type).toBeUndefined()
    expect(v9.title).toBe('Bad Request')
    expect(problemResponse(row(9), problem).headers['content-type']).toBe('application/problem+json')
  })
})
