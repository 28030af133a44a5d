import { CommanderError } from 'commander'
import { describe, expect, it } from 'vitest'
import { azureStoreFromFlags, parseAccessTier, parseContainerAccessType, parseContainerName } from './azure-flags.js'
import { parseEndpoint } from './parse-values.js'
import { buildCommand, type CliOptions } from './options.js'

/** Parses `args` as the command line would, throwing instead of exiting; returns the options or commander's message. */
function parse(args: string[]): CliOptions | string {
  let errors = ''
  const command = buildCommand('0.0.0-test')
    .exitOverride()
    .configureOutput({ writeErr: (text) => (errors += text), writeOut: () => {} })
  try {
    command.parse(args, { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) return errors
    throw error
  }
  return command.opts<CliOptions>()
}

describe('Azure flags', () => {
  it("takes tusd's flags and values", () => {
    expect(
      parse([
        '--azure-storage',
        'uploads',
        '--azure-container-access-type',
        'blob',
        '--azure-blob-access-tier',
        'archive',
        '--azure-object-prefix',
        'tus/files',
        '--azure-endpoint',
        'http://127.0.0.1:10000/devstoreaccount1/',
      ]),
    ).toMatchObject({
      azureStorage: 'uploads',
      azureContainerAccessType: 'blob',
      azureBlobAccessTier: 'Archive',
      azureObjectPrefix: 'tus/files',
      azureEndpoint: 'http://127.0.0.1:10000/devstoreaccount1',
    })
  })

  it.each([
    ['--azure-container', 'Uploads'],
    ['--azure-storage', 'up--loads'],
    ['--azure-container-access-type', 'public'],
    ['--azure-blob-access-tier', 'premium'],
    ['--azure-endpoint', 'ftp://example.com'],
  ])('%s %s is refused with a message naming the flag', (flag, value) => {
    const message = parse([flag, value])
    expect(typeof message).toBe('string')
    expect(message).toContain(flag)
    expect(message).toContain(value)
  })

  it('parses each value strictly', () => {
    expect(parseContainerName('abc')).toBe('abc')
    expect(() => parseContainerName('ab')).toThrow()
    expect(() => parseContainerName('-abc')).toThrow()
    expect(() => parseContainerName('a'.repeat(64))).toThrow()
    expect(parseContainerAccessType('')).toBe('private')
    expect(parseContainerAccessType('Container')).toBe('container')
    expect(parseAccessTier('HOT')).toBe('Hot')
    expect(parseAccessTier('cold')).toBe('Cold')
    expect(() => parseEndpoint('not a url')).toThrow()
  })

  it('picks no Azure store without a container, and refuses its other flags alone', async () => {
    await expect(azureStoreFromFlags({}, {})).resolves.toBeUndefined()
    await expect(azureStoreFromFlags({ azureEndpoint: 'http://127.0.0.1:1/x' }, {})).rejects.toThrow('--azure-endpoint needs --azure-container')
  })

  it('refuses two different containers, missing credentials, and an endpoint beside a connection string', async () => {
    await expect(azureStoreFromFlags({ azureContainer: 'one', azureStorage: 'two' }, {})).rejects.toThrow('--azure-container (one) and --azure-storage (two)')
    await expect(azureStoreFromFlags({ azureContainer: 'one' }, {})).rejects.toThrow('AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY')
    await expect(azureStoreFromFlags({ azureContainer: 'one' }, { AZURE_STORAGE_ACCOUNT: 'acct' })).rejects.toThrow('without AZURE_STORAGE_KEY')
    await expect(
      azureStoreFromFlags({ azureContainer: 'one', azureEndpoint: 'http://127.0.0.1:1/x' }, { AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }),
    ).rejects.toThrow('--azure-endpoint goes with AZURE_STORAGE_ACCOUNT')
  })
})
