import http from 'node:http'
import { text } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startGcsFake, type GcsFake } from '../../../test/fakes/gcs/gcs-fake.js'
import { GcsRequestFailed, isUnavailable } from './gcs-errors.js'
import { GcsBucket } from './gcs-bucket.js'
import { readObject } from './object-read.js'
import type { JsonApi } from './json-api.js'
import { checkBeforeWrites } from '../../model/write-checks.js'
import { uploadObject } from './object-upload.js'

// The store's own plain requests besides uploads (deletes, reads), against the GCS fake (test/fakes/gcs, not GCS).

const NEVER = new AbortController().signal
const BYTES = Buffer.from('0123456789abcdefghij')

let fake: GcsFake
let target: JsonApi

beforeEach(async () => {
  fake = await startGcsFake()
  fake.createBucket('bucket')
  target = {
    endpoint: fake.endpoint,
    bucket: 'bucket',
    headers: async () => ({}),
    agent: new http.Agent({ keepAlive: true }),
    // Far above an answer of the fake on a loaded machine: an attempt that timed out would be retried, and a
    // retried delete that had in fact deleted reads as "already gone". The timeout test sets its own.
    timeoutMs: 10_000,
    retry: { maxRetries: 2, maxDelayMs: 10, multiplier: 1 },
  }
  await uploadObject(target, 'dir/object', BYTES, { ifGenerationMatch: 0 }, NEVER)
})
afterEach(async () => {
  target.agent.destroy()
  await fake.stop()
})

describe('GcsBucket.remove', () => {
  it('deletes an object (a name with a slash) and says so; false once it is gone', async () => {
    expect(await new GcsBucket(target).remove('dir/object', NEVER)).toBe(true)
    expect(fake.read('bucket', 'dir/object')).toBeUndefined()
    expect(await new GcsBucket(target).remove('dir/object', NEVER)).toBe(false)
  })

  it('tries again while GCS answers 503, then gives up with an error that says GCS is unavailable', async () => {
    fake.failNext({ status: 503, method: 'DELETE', times: 2 })
    expect(await new GcsBucket(target).remove('dir/object', NEVER)).toBe(true)
    fake.failNext({ status: 503, method: 'DELETE', times: 3 })
    const failure = await new GcsBucket(target).remove('other', NEVER).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(GcsRequestFailed)
    expect(isUnavailable(failure)).toBe(true)
  })

  it('does not retry a refusal (403)', async () => {
    fake.failNext({ status: 403, method: 'DELETE', times: 2 })
    await expect(new GcsBucket(target).remove('dir/object', NEVER)).rejects.toMatchObject({ status: 403 })
    expect(fake.read('bucket', 'dir/object')).toEqual(BYTES)
  })
})

describe('readObject', () => {
  it('streams the whole object, or a range of it', async () => {
    expect(await text(await readObject(target, 'dir/object', undefined, NEVER))).toBe(BYTES.toString('latin1'))
    expect(await text(await readObject(target, 'dir/object', { start: 3, end: 7 }, NEVER))).toBe('3456')
  })

  it('rejects a missing object with GCS\'s 404', async () => {
    await expect(readObject(target, 'missing', undefined, NEVER)).rejects.toMatchObject({ status: 404 })
  })

  it('tries again while GCS answers 503 before the first byte', async () => {
    fake.failNext({ status: 503, method: 'GET', times: 2 })
    expect(await text(await readObject(target, 'dir/object', { start: 10, end: 20 }, NEVER))).toBe('abcdefghij')
  })

  it('gives up on a GCS that takes longer than the request timeout to answer', async () => {
    const stall = fake.stallNext({ method: 'GET', times: 3 })
    const failure = await readObject({ ...target, timeoutMs: 200 }, 'dir/object', undefined, NEVER).catch((error: unknown) => error)
    expect(isUnavailable(failure)).toBe(true)
    stall.release()
  })

  it('rejects with the signal\'s reason when asked to stop', async () => {
    fake.stallNext({ method: 'GET' })
    const controller = new AbortController()
    const reading = readObject(target, 'dir/object', undefined, controller.signal)
    controller.abort(new Error('released'))
    await expect(reading).rejects.toThrow('released')
  })
})

describe('openRequest', () => {
  it('runs the checks before writes first, so a lock found lost stops the request before it is sent', async () => {
    const controller = new AbortController()
    const stop = checkBeforeWrites(() => controller.abort(new Error('the lease ran out')))
    try {
      const before = fake.requests.length
      await expect(uploadObject(target, 'late', BYTES, { ifGenerationMatch: 0 }, controller.signal)).rejects.toThrow()
      expect(fake.requests.length).toBe(before)
      expect(fake.read('bucket', 'late')).toBeUndefined()
    } finally {
      stop()
    }
  })
})
