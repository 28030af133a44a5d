import { CommanderError } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGcsFake, type GcsFake } from '../../test/fakes/gcs/gcs-fake.js'
import { GcsStore } from '../store/gcs/gcs-store.js'
import { gcsStoreFromFlags } from './gcs-store-from-flags.js'
import { buildCommand, type CliOptions } from './options.js'

/** Parses `args` as the command line would; `env` stands in for the environment variables. */
function parse(args: string[], env: Record<string, string> = {}): CliOptions {
  const saved = { ...process.env }
  Object.assign(process.env, env)
  try {
    return buildCommand('0.0.0-test').exitOverride().configureOutput({ writeErr: () => {} }).parse(args, { from: 'user' }).opts<CliOptions>()
  } finally {
    for (const name of Object.keys(env)) {
      if (saved[name] === undefined) delete process.env[name]
      else process.env[name] = saved[name]
    }
  }
}

/** The message commander gives for a bad command line. */
function failure(args: string[]): string {
  let errors = ''
  const command = buildCommand('0.0.0-test').exitOverride().configureOutput({ writeErr: (text) => (errors += text), writeOut: () => {} })
  expect(() => command.parse(args, { from: 'user' })).toThrow(CommanderError)
  return errors
}

describe('GCS flags', () => {
  let fake: GcsFake
  beforeAll(async () => {
    fake = await startGcsFake()
    fake.createBucket('flags-bucket')
  })
  afterAll(() => fake.stop())

  it('take tusd\'s names and their RESUMABLE_GATEWAY_GCS_* variables', () => {
    expect(parse(['--gcs-bucket', 'b', '--gcs-object-prefix', 'uploads/x', '--gcs-endpoint', 'http://127.0.0.1:4443/'])).toMatchObject({
      gcsBucket: 'b', gcsObjectPrefix: 'uploads/x', gcsEndpoint: 'http://127.0.0.1:4443',
    })
    expect(parse([], { RESUMABLE_GATEWAY_GCS_BUCKET: 'e', RESUMABLE_GATEWAY_GCS_ENDPOINT: 'https://storage.example' })).toMatchObject({
      gcsBucket: 'e', gcsEndpoint: 'https://storage.example',
    })
  })

  it.each([
    [['--gcs-object-prefix', 'a_b'], '--gcs-object-prefix'],
    [['--gcs-object-prefix', '/abs'], '--gcs-object-prefix'],
    [['--gcs-endpoint', 'ftp://example.com'], '--gcs-endpoint'],
    [['--gcs-endpoint', 'storage.example'], '--gcs-endpoint'],
  ])('refuse %j with a message naming %s', (args, flag) => {
    const message = failure(args)
    expect(message).toContain(flag)
    expect(message).toContain(args[1])
  })

  it('select no store without --gcs-bucket, and refuse the other GCS flags alone', async () => {
    expect(await gcsStoreFromFlags(parse([]))).toBeUndefined()
    await expect(gcsStoreFromFlags(parse(['--gcs-object-prefix', 'x']))).rejects.toThrow('--gcs-object-prefix needs --gcs-bucket')
    await expect(gcsStoreFromFlags(parse(['--gcs-endpoint', fake.endpoint]))).rejects.toThrow('--gcs-endpoint needs --gcs-bucket')
  })

  it('connect a GCS store on the bucket, unsigned at an endpoint without GCS_SERVICE_ACCOUNT_FILE', async () => {
    const store = await gcsStoreFromFlags(parse(['--gcs-bucket', 'flags-bucket', '--gcs-endpoint', fake.endpoint, '--gcs-object-prefix', 'up']), {})
    expect(store).toBeInstanceOf(GcsStore)
    await store?.create({ id: 'abc', metadata: {} }, new AbortController().signal)
    expect(fake.objectNames('flags-bucket')).toEqual(['up/abc.info'])
    expect(fake.requests.every((request) => request.headers.authorization === undefined)).toBe(true)
    await store?.close()
  })

  it('refuse a bucket that does not exist, naming --gcs-bucket', async () => {
    await expect(gcsStoreFromFlags(parse(['--gcs-bucket', 'no-such-bucket', '--gcs-endpoint', fake.endpoint]), {})).rejects.toThrow(
      /^--gcs-bucket: GCS bucket no-such-bucket does not exist/,
    )
  })
})
