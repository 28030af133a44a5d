import { S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { StoreUnavailable } from '../../model/errors.js'
import { S3Calls } from './s3-calls.js'

const unused = new S3Client({ region: 'us-east-1' })
const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })

function callsWith(requestTimeoutMs: number): S3Calls {
  return new S3Calls({ client: unused, bucket: 'b', requestTimeoutMs, maxAttempts: 3 })
}

describe('a call that streams its body (a part, a .part object)', () => {
  it('is tried again after quick transient failures, up to maxAttempts', async () => {
    let attempts = 0
    const result = await callsWith(30_000).streamed(new AbortController().signal, async () => {
      attempts++
      if (attempts < 3) throw refused()
      return 'stored'
    })
    expect(result).toBe('stored')
    expect(attempts).toBe(3)
  })

  it('starts no new attempt once requestTimeoutMs has passed since its first: a silent S3 is not waited out once per attempt', async () => {
    let attempts = 0
    const failure = callsWith(50).streamed(new AbortController().signal, async () => {
      attempts++
      // As an attempt that S3 left without a byte until the socket's idle timeout.
      await new Promise((resolve) => setTimeout(resolve, 80))
      throw Object.assign(new Error('the request socket timed out'), { name: 'TimeoutError' })
    })
    await expect(failure).rejects.toBeInstanceOf(StoreUnavailable)
    expect(attempts).toBe(1)
  })
})
