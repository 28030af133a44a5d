import { describe, expect, it } from 'vitest'
import { StoreUnavailable } from '../../model/errors.js'
import { isNotFound, isTransient, storeError } from './s3-errors.js'

function answer(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } })
}

describe('S3 errors', () => {
  it("reads radosgw's NoSuchKey for a gone multipart upload as not found, like AWS's NoSuchUpload", () => {
    expect(isNotFound(answer('NoSuchKey', 404))).toBe(true)
    expect(isNotFound(answer('NoSuchUpload', 404))).toBe(true)
    expect(isNotFound(answer('AccessDenied', 403))).toBe(false)
  })

  it('takes 5xx, throttling, timeouts and refused connections as transient, not 4xx', () => {
    for (const error of [answer('InternalError', 500), answer('SlowDown', 503), answer('Whatever', 429), Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]) {
      expect(isTransient(error)).toBe(true)
    }
    expect(isTransient(answer('AccessDenied', 403))).toBe(false)
    expect(isTransient(new Error('plain'))).toBe(false)
  })

  it("gives the signal's reason once it aborted, StoreUnavailable with the offset kept for transient failures", () => {
    const controller = new AbortController()
    const reason = new Error('released')
    controller.abort(reason)
    expect(storeError(answer('InternalError', 500), controller.signal)).toBe(reason)
    const mapped = storeError(answer('InternalError', 500), undefined, 42)
    expect(mapped).toBeInstanceOf(StoreUnavailable)
    expect((mapped as StoreUnavailable).offset).toBe(42)
    const denied = answer('AccessDenied', 403)
    expect(storeError(denied, undefined)).toBe(denied)
  })
})
