import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HeaderError } from '../header-error.js'
import { finalConcat, parseUploadConcat, serializeUploadConcat } from './concat-header.js'

describe('parseUploadConcat', () => {
  it('[T-51] reads "partial"', () => {
    expect(parseUploadConcat('partial')).toEqual({ kind: 'partial' })
    expect(parseUploadConcat(' partial ')).toEqual({ kind: 'partial' })
  })

  it('[T-51] reads "final;" and a space-separated list of absolute or relative URLs, in order', () => {
    expect(parseUploadConcat('final;/files/a /files/b')).toEqual({ kind: 'final', urls: ['/files/a', '/files/b'] })
    expect(parseUploadConcat('final;http://h/files/b /files/a http://h/files/b')).toEqual({
      kind: 'final',
      urls: ['http://h/files/b', '/files/a', 'http://h/files/b'],
    })
    // Extra spaces separate nothing (as tusd reads it).
    expect(parseUploadConcat('final; /files/a  /files/b ')).toEqual({ kind: 'final', urls: ['/files/a', '/files/b'] })
  })

  it('[T-51] refuses anything else with a HeaderError naming Upload-Concat', () => {
    for (const value of ['', 'Partial', 'partial;', 'final', 'final;', 'final; ', 'final:/files/a', 'FINAL;/files/a', 'final /files/a', 'merge']) {
      expect(() => parseUploadConcat(value), value).toThrow(HeaderError)
    }
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('final', 'partial', ';', ' ', '/files/a', ',', 'x') }), (value) => {
        try {
          const parsed = parseUploadConcat(value)
          if (parsed.kind === 'final') for (const url of parsed.urls) expect(url).not.toMatch(/\s|^$/)
        } catch (error) {
          expect(error).toBeInstanceOf(HeaderError)
        }
      }),
    )
  })
})

describe('finalConcat', () => {
  const ids: Record<string, string> = { '/files/a': 'a', 'http://h/files/b': 'b' }

  it('[T-51] turns each URL into the id it names, keeping the URLs as sent', () => {
    expect(finalConcat(['/files/a', 'http://h/files/b', '/files/a'], (url) => ids[url])).toEqual({
      kind: 'final',
      partials: ['a', 'b', 'a'],
      partialUrls: ['/files/a', 'http://h/files/b', '/files/a'],
    })
  })

  it('[T-51] refuses a URL that names no upload of ours, naming it', () => {
    expect(() => finalConcat(['/files/a', 'http://elsewhere/x'], (url) => ids[url])).toThrow(/elsewhere/)
  })
})

describe('serializeUploadConcat', () => {
  it('[T-61] echoes the value received at creation', () => {
    const urlOf = (id: string): string => `http://gateway/files/${id}`
    expect(serializeUploadConcat({ kind: 'partial' }, urlOf)).toBe('partial')
    const final = { kind: 'final', partials: ['a', 'b'], partialUrls: ['/files/a', 'http://h/files/b'] } as const
    expect(serializeUploadConcat(final, urlOf)).toBe('final;/files/a http://h/files/b')
    // A final upload written by tusd keeps only ids: their URLs stand for them.
    expect(serializeUploadConcat({ kind: 'final', partials: ['a', 'b'] }, urlOf)).toBe('final;http://gateway/files/a http://gateway/files/b')
  })
})
