import { describe, expect, it } from 'vitest'
import { flagFailure, parseCommandLine, parseFlags, testEnv } from './command-line.test-support.js'
import { s3StoreFromFlags } from './s3-options.js'

const MiB = 1024 * 1024

const setEnv = testEnv()

describe('S3 flags', () => {
  it("has tusd's defaults and selects no S3 store without --s3-bucket", async () => {
    const options = parseFlags([])
    expect(options).toMatchObject({
      s3ObjectPrefix: '',
      s3PartSize: 50 * MiB,
      s3MinPartSize: 5 * MiB,
      s3EqualPartSizes: false,
      s3MaxBufferedParts: 20,
      s3ConcurrentPartUploads: 10,
      s3DisableContentHashes: false,
      s3PartBuffer: 'disk',
    })
    expect(options.s3Bucket).toBeUndefined()
    expect(options.s3ForcePathStyle).toBeUndefined()
    await expect(s3StoreFromFlags(options, new Set())).resolves.toBeUndefined()
  })

  it('reads every S3 flag, from the command line or its variable', () => {
    setEnv('RESUMABLE_GATEWAY_S3_BUCKET', 'from-env')
    setEnv('RESUMABLE_GATEWAY_S3_DISABLE_CONTENT_HASHES', 'true')
    const options = parseFlags([
      '--s3-endpoint=http://127.0.0.1:7480',
      '--s3-object-prefix=uploads/',
      '--s3-part-size=8MiB',
      '--s3-min-part-size=8MiB',
      '--s3-equal-part-sizes',
      '--s3-max-buffered-parts=4',
      '--s3-concurrent-part-uploads=32',
      '--s3-force-path-style=false',
      '--s3-request-checksums=when-supported',
      '--s3-part-buffer=memory',
      '--s3-temp-dir=/var/tmp',
    ])
    expect(options).toMatchObject({
      s3Bucket: 'from-env',
      s3Endpoint: 'http://127.0.0.1:7480',
      s3ObjectPrefix: 'uploads/',
      s3PartSize: 8 * MiB,
      s3MinPartSize: 8 * MiB,
      s3EqualPartSizes: true,
      s3MaxBufferedParts: 4,
      s3ConcurrentPartUploads: 32,
      s3DisableContentHashes: true,
      s3ForcePathStyle: false,
      s3RequestChecksums: 'when-supported',
      s3PartBuffer: 'memory',
      s3TempDir: '/var/tmp',
    })
  })

  it.each([
    [['--s3-endpoint', 'ftp://example.com'], '--s3-endpoint'],
    [['--s3-endpoint', 'not a url'], '--s3-endpoint'],
    [['--s3-part-size', 'big'], '--s3-part-size'],
    [['--s3-max-buffered-parts', '0'], '--s3-max-buffered-parts'],
    [['--s3-concurrent-part-uploads', 'many'], '--s3-concurrent-part-uploads'],
    [['--s3-part-buffer', 'tape'], '--s3-part-buffer'],
    [['--s3-request-checksums', 'always'], '--s3-request-checksums'],
    [['--s3-disable-content-hashes', 'perhaps'], '--s3-disable-content-hashes'],
  ])('refuses %j with a message naming %s', (args, flag) => {
    const message = flagFailure(args)
    expect(message).toContain(flag)
    expect(message).toContain(args[1])
  })

  it('refuses S3 flags that contradict each other, naming them', async () => {
    const open = (args: string[]): ReturnType<typeof s3StoreFromFlags> => {
      const { options, given } = parseCommandLine(args)
      return s3StoreFromFlags(options, given)
    }
    await expect(open(['--s3-endpoint', 'http://127.0.0.1:1'])).rejects.toThrow('--s3-endpoint needs --s3-bucket')
    await expect(open(['--s3-bucket', 'b', '--s3-part-size', '1MiB'])).rejects.toThrow(/--s3-part-size .* --s3-min-part-size/)
    await expect(open(['--s3-bucket', 'b', '--s3-part-size', '6GiB'])).rejects.toThrow(/--s3-part-size .* 5GiB/)
    await expect(open(['--s3-bucket', 'b', '--s3-min-part-size', '0'])).rejects.toThrow('--s3-min-part-size')
  })

  it('refuses any S3 flag without --s3-bucket, also one given its default value or set by its variable', async () => {
    const refusal = async (args: string[]): Promise<string> => {
      const { options, given } = parseCommandLine(args)
      return s3StoreFromFlags(options, given).then(() => 'accepted', (error: Error) => error.message)
    }
    expect(await refusal(['--s3-part-size', '8MiB'])).toBe('--s3-part-size needs --s3-bucket')
    expect(await refusal(['--s3-part-size', '50MiB'])).toBe('--s3-part-size needs --s3-bucket')
    expect(await refusal(['--s3-object-prefix', ''])).toBe('--s3-object-prefix needs --s3-bucket')
    expect(await refusal(['--s3-equal-part-sizes'])).toBe('--s3-equal-part-sizes needs --s3-bucket')
    expect(await refusal(['--s3-temp-dir', '/var/tmp'])).toBe('--s3-temp-dir needs --s3-bucket')
    setEnv('RESUMABLE_GATEWAY_S3_PART_BUFFER', 'memory')
    expect(await refusal([])).toBe('--s3-part-buffer needs --s3-bucket')
  })
})
