import { S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { StoreUnavailable } from '../../model/errors.js'
import { S3Calls } from './s3-calls.js'

const unused = new S3Client({ region: 'us-east-1' })
const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })

const calls = new S3Calls({ client: unused, bucket: 'b', requestTimeoutMs: 10, maxAttempts: 3 })

describe('a call that streams its body (a part, a .part object)', () => {
  it('is tried again after quick transient failures, up to maxAttempts', async () => {
    let attempts = 0
    const result = await calls.streamed(new AbortController().signal, async () => {
      attempts++
      if (attempts < 3) throw refused()
      return 'stored'
    })
    expect(result).toBe('stored')
    expect(attempts).toBe(3)
  })

  it('tries again after a quick failure however long the attempt before it took (a large part on a slow link)', async () => {
    let attempts = 0
    const result = await calls.streamed(new AbortController().signal, async () => {
      attempts++
      // A part that streamed for a while (here 30 ms; in life, 40 s of a 50 MiB part), then met a 503 SlowDown.
      await new Promise((resolve) => setTimeout(resolve, 30))
      if (attempts === 1) throw Object.assign(new Error('SlowDown'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } })
      return 'stored'
    })
    expect(result).toBe('stored')
    expect(attempts).toBe(2)
  })

  it('tries again after a reset connection, which the client names TimeoutError too', async () => {
    let attempts = 0
    const result = await calls.streamed(new AbortController().signal, async () => {
      attempts++
      if (attempts === 1) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' })
      return 'stored'
    })
    expect(result).toBe('stored')
    expect(attempts).toBe(2)
  })

  it('starts no new attempt after one that S3 left silent until the socket timeout: a silent S3 is waited out once', async () => {
    let attempts = 0
    const failure = calls.streamed(new AbortController().signal, async () => {
      attempts++
      throw Object.assign(new Error('the request socket timed out after 30000 ms of inactivity'), { name: 'TimeoutError' })
    })
    await expect(failure).rejects.toBeInstanceOf(StoreUnavailable)
    expect(attempts).toBe(1)
  })
})
