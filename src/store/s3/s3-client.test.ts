import { HeadBucketCommand } from '@aws-sdk/client-s3'
import { afterEach, expect, it, vi } from 'vitest'
import { checkBeforeWrites } from '../../model/write-checks.js'
import { createS3Client } from './s3-client.js'

afterEach(() => {
  vi.unstubAllEnvs()
})

it('runs the checks before writes right before each request is sent, so a lock found lost stops it', async () => {
  // Credentials from the SDK's chain, as in production; the request is signed before it is checked.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'key')
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret')
  const client = createS3Client({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', maxAttempts: 1 })
  const controller = new AbortController()
  let checked = 0
  const stop = checkBeforeWrites(() => {
    checked++
    controller.abort(new Error('the lease ran out'))
  })
  try {
    const sent = client.send(new HeadBucketCommand({ Bucket: 'b' }), { abortSignal: controller.signal })
    // Aborted by the check, not refused by the closed port 9.
    await expect(sent).rejects.toThrow(/abort/i)
    expect(checked).toBe(1)
  } finally {
    stop()
    client.destroy()
  }
})
