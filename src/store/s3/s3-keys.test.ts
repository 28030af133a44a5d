import { describe, expect, it } from 'vitest'
import { isValidObjectId, isValidUploadId, joinUploadId, ObjectKeys, splitUploadId } from './s3-keys.js'

describe('upload ids', () => {
  it("splits tusd's ids at the last +, so an object id may contain one", () => {
    expect(splitUploadId('8f3c1a0e9d2b4c6f8e7d5a3b1c0f9e8d+2~aBcDeFgHiJkLmNoPqRsTuVwXyZ')).toEqual({
      objectId: '8f3c1a0e9d2b4c6f8e7d5a3b1c0f9e8d',
      multipartId: '2~aBcDeFgHiJkLmNoPqRsTuVwXyZ',
    })
    expect(splitUploadId('my+id+abc')).toEqual({ objectId: 'my+id', multipartId: 'abc' })
  })

  it('names no upload with an empty side or without +', () => {
    for (const id of ['abc', '+abc', 'abc+', '+']) expect(splitUploadId(id), id).toBeUndefined()
  })

  it('refuses ids that are not one safe path segment', () => {
    for (const id of ['', '.', '..', 'a/b+c', 'a+b/c', 'a+b%2F', 'a b+c', 'a+b\u0000', 'x'.repeat(901)]) expect(isValidUploadId(id), JSON.stringify(id)).toBe(false)
    expect(isValidUploadId('a.b_c~d-e+VXBsb2FkIElE=')).toBe(true)
  })

  it('takes object ids a creation may want, never one that could be an .info or .part key', () => {
    expect(isValidObjectId('0123456789abcdef0123456789abcdef')).toBe(true)
    expect(isValidObjectId('custom+id')).toBe(true)
    for (const id of ['', '..', 'a/b', 'x.info', 'x.part', 'a=b', 'x'.repeat(257)]) expect(isValidObjectId(id), id).toBe(false)
  })

  it('joins only a multipart id that keeps the split unambiguous', () => {
    expect(joinUploadId('abc', '2~xyz')).toBe('abc+2~xyz')
    expect(joinUploadId('abc', 'x+y')).toBeUndefined()
    expect(joinUploadId('abc', 'x/y')).toBeUndefined()
  })
})

describe('object keys', () => {
  it("puts tusd's prefix (with a slash added) before data, .info and .part keys", () => {
    const keys = new ObjectKeys('uploads')
    expect([keys.data('abc'), keys.info('abc'), keys.tail('abc')]).toEqual(['uploads/abc', 'uploads/abc.info', 'uploads/abc.part'])
    expect(new ObjectKeys('').data('abc')).toBe('abc')
    expect(new ObjectKeys('a/b/').info('abc')).toBe('a/b/abc.info')
  })

  it('puts the metadata prefix before .info and .part only', () => {
    const keys = new ObjectKeys('data', 'meta')
    expect([keys.data('x'), keys.info('x'), keys.tail('x')]).toEqual(['data/x', 'meta/x.info', 'meta/x.part'])
  })

  it('finds object ids in listed keys, only its own', () => {
    const keys = new ObjectKeys('uploads')
    expect(keys.objectIdOfInfo('uploads/abc.info')).toBe('abc')
    expect(keys.objectIdOfInfo('uploads/abc.part')).toBeUndefined()
    expect(keys.objectIdOfInfo('other/abc.info')).toBeUndefined()
    expect(keys.objectIdOfInfo('uploads/a/b.info')).toBeUndefined()
    expect(keys.objectIdOfData('uploads/abc')).toBe('abc')
  })

  it('percent-encodes a copy source but its slashes (+ would read as a space)', () => {
    expect(new ObjectKeys('p').copySource('bucket', 'p/a+b c')).toBe('bucket/p/a%2Bb%20c')
  })
})
