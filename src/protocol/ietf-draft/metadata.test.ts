import { describe, expect, it } from 'vitest'
import { filenameOf, metadataFromRequest } from './metadata.js'

describe('filenameOf', () => {
  it.each([
    ['inline; filename="file name.jpg"', 'file name.jpg'],
    ['attachment; filename=plain.txt', 'plain.txt'],
    [`inline; filename="fallback.jpg"; filename*=UTF-8''%C3%A9t%C3%A9.jpg`, 'été.jpg'],
    [`inline; filename*=utf-8'en'na%20me.txt; filename="x"`, 'na me.txt'],
    [`inline; filename*=ISO-8859-1''caf%E9.txt`, 'café.txt'],
    ['inline; filename="a\\"b.txt"', 'a"b.txt'],
    ['inline; FILENAME="upper.txt"', 'upper.txt'],
    ['inline; filename="../../etc/passwd"', 'passwd'],
    ['inline; filename="C:\\\\Users\\\\x.doc"', 'x.doc'],
  ])('reads %j as %j', (value, expected) => {
    expect(filenameOf(value)).toBe(expected)
  })

  it.each([['inline'], ['inline; filename=""'], ['inline; filename=".."'], ['inline; filename="\u0000\u0001"'], [`inline; filename*=UTF-16''x`]])(
    'finds no usable name in %j',
    (value) => {
      expect(filenameOf(value)).toBeUndefined()
    },
  )

  it('keeps at most 255 characters', () => {
    expect(filenameOf(`inline; filename="${'a'.repeat(300)}"`)).toHaveLength(255)
  })
})

describe('metadataFromRequest', () => {
  it('takes filetype from a well-formed Content-Type, parameters included', () => {
    expect(metadataFromRequest({ 'content-type': 'text/plain; charset=utf-8' })).toEqual({ filetype: 'text/plain; charset=utf-8' })
  })

  it('leaves out framing media types and malformed ones', () => {
    expect(metadataFromRequest({ 'content-type': 'application/partial-upload' })).toEqual({})
    expect(metadataFromRequest({ 'content-type': 'text' })).toEqual({})
    expect(metadataFromRequest({ 'content-type': 'text/html\r\nX: y' })).toEqual({})
  })
})
