import fc from 'fast-check'
import { expect, it } from 'vitest'
import { eachTransport } from '../support/http-cases.js'
import { createUpload, OFFSET_OCTET_STREAM, TUS } from '../support/tus.js'

// Any value a client can put in a header: printable ASCII and tab (what HTTP/1.1 and HTTP/2 clients let through).
const anyText = fc.string({ unit: fc.constantFrom(...'\t !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~ '), maxLength: 40 })

// Values near the grammar of a non-negative integer: signs, fractions, exponents, hex, spaces, overlong digits.
const numberish = fc.oneof(
  anyText,
  fc.integer({ min: -1000, max: 10_000 }).map(String),
  fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String),
  fc.tuple(fc.constantFrom('', ' ', '+', '-', '0x', '00'), fc.nat(5000), fc.constantFrom('', ' ', '.5', 'e3', 'abc', ',1')).map((parts) => parts.join('')),
)

// Values near the grammar of Upload-Metadata: keys, spaces, commas, base64 and not-quite base64.
const metadataish = fc.oneof(
  anyText,
  fc
    .array(
      fc.tuple(
        fc.constantFrom('filename', 'filetype', 'a', '', 'k ey', 'filename'),
        fc.constantFrom('', ' ', '  '),
        fc.oneof(fc.base64String({ maxLength: 24 }), anyText),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => pairs.map(([key, space, value]) => `${key}${space}${value}`).join(',')),
)

const optional = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arbitrary, { nil: undefined })

function headersOf(entries: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(entries).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

// Bounded runs: 100 requests per property and transport.
const RUNS = { numRuns: 100 }

eachTransport({ maxSize: 1_000_000 }, (context) => {
  it('[T-02] [T-03] [T-27] [T-31] creation with random Upload-Length, Upload-Defer-Length and Upload-Metadata never gets a 5xx', async () => {
    const { client, gateway } = context()
    await fc.assert(
      fc.asyncProperty(optional(numberish), optional(numberish), optional(metadataish), async (length, defer, metadata) => {
        const headers = headersOf({ ...TUS, 'upload-length': length, 'upload-defer-length': defer, 'upload-metadata': metadata })
        const response = await client.request({ method: 'POST', url: gateway.basePath, headers })
        expect(response.status).toBeLessThan(500)
        expect([201, 400, 413]).toContain(response.status)
        expect(response.headers['tus-resumable']).toBe('1.0.0')
      }),
      RUNS,
    )
  })

  it('[T-02] [T-03] PATCH with random Upload-Offset and Upload-Length never gets a 5xx', async () => {
    const { client, gateway } = context()
    const deferred = await createUpload(client, gateway.basePath, {})
    const sized = await createUpload(client, gateway.basePath, { length: 100 })
    await fc.assert(
      fc.asyncProperty(fc.boolean(), numberish, optional(numberish), fc.string({ maxLength: 8 }), async (useDeferred, offset, length, body) => {
        const headers = headersOf({ ...TUS, 'content-type': OFFSET_OCTET_STREAM, 'upload-offset': offset, 'upload-length': length })
        const response = await client.request({ method: 'PATCH', url: useDeferred ? deferred : sized, headers, body })
        expect(response.status).toBeLessThan(500)
        expect(response.headers['tus-resumable']).toBe('1.0.0')
      }),
      RUNS,
    )
  })

  it('[T-31] [T-33] any well-formed Upload-Metadata is accepted and its pairs echoed on HEAD as sent', async () => {
    const { client, gateway } = context()
    const key = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/)
    const value = fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), { nil: undefined })
    const pairs = fc.uniqueArray(fc.tuple(key, value), { minLength: 1, maxLength: 5, selector: ([name]) => name })
    await fc.assert(
      fc.asyncProperty(pairs, async (entries) => {
        const metadata = entries
          .map(([name, text]) => (text === undefined ? name : `${name} ${Buffer.from(text, 'utf8').toString('base64')}`))
          .join(',')
        const created = await client.request({ method: 'POST', url: gateway.basePath, headers: { ...TUS, 'upload-length': '1', 'upload-metadata': metadata } })
        expect(created.status).toBe(201)
        const state = await client.request({ method: 'HEAD', url: created.headers.location ?? '', headers: TUS })
        // The same pairs; their order is not kept for every key (JavaScript objects, like tusd's Go maps,
        // put integer-like keys first), and no client relies on it: keys are unique.
        const sorted = (header: string | undefined): string[] => (header ?? '').split(',').sort()
        expect(sorted(state.headers['upload-metadata'])).toEqual(sorted(metadata))
      }),
      { numRuns: 50 },
    )
  })

  it('HEAD and GET with random tus headers never get a 5xx', async () => {
    const { client, gateway } = context()
    const url = await createUpload(client, gateway.basePath, { length: 3, data: 'abc' })
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('HEAD', 'GET'), numberish, metadataish, numberish, async (method, offset, metadata, range) => {
        const headers = headersOf({ ...TUS, 'upload-offset': offset, 'upload-metadata': metadata, range: `bytes=${range}` })
        const response = await client.request({ method, url, headers })
        expect(response.status).toBeLessThan(500)
      }),
      RUNS,
    )
  })
})
