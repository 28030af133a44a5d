import { describe, expect, it } from 'vitest'
import { objectMetadataOf } from './s3-metadata.js'

describe('objectMetadataOf', () => {
  it("sends every pair, non-printable characters as ? (tusd: \"Menü\" -> \"Men?\"), filetype as Content-Type", () => {
    expect(objectMetadataOf({ filename: 'Menü.pdf', filetype: 'application/pdf', flag: null })).toEqual({
      metadata: { filename: 'Men?.pdf', filetype: 'application/pdf', flag: '' },
      contentType: 'application/pdf',
    })
  })

  it('replaces each code point once, lone surrogates included', () => {
    expect(objectMetadataOf({ name: '📄a\udc80b\tc' }).metadata).toEqual({ name: '?a?b\tc' })
  })

  it('leaves out keys that cannot be header names, and pairs past 2 KB', () => {
    const { metadata } = objectMetadataOf({ 'bad key': 'x', ok: 'y', big: 'z'.repeat(2100), after: 'w' })
    expect(metadata).toEqual({ ok: 'y', after: 'w' })
  })

  it('keeps __proto__ a plain key', () => {
    const { metadata } = objectMetadataOf(JSON.parse('{"__proto__":"v"}') as Record<string, string>)
    expect(Object.keys(metadata)).toEqual(['__proto__'])
  })

  it('sends no Content-Type without filetype', () => {
    expect(objectMetadataOf({}).contentType).toBeUndefined()
  })
})
