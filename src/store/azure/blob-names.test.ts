import { describe, expect, it } from 'vitest'
import { blobNames } from './blob-names.js'

describe('blobNames', () => {
  it('puts blobs at the root without a prefix', () => {
    const names = blobNames()
    expect([names.prefix, names.info('abc'), names.data('abc')]).toEqual(['', 'abc.info', 'abc'])
  })

  it('adds a / to a prefix as tusd does, unless it ends in one', () => {
    expect(blobNames('uploads').data('abc')).toBe('uploads/abc')
    expect(blobNames('uploads/').info('abc')).toBe('uploads/abc.info')
    expect(blobNames('a/b').prefix).toBe('a/b/')
  })

  it('finds ids in .info names under the prefix only', () => {
    const names = blobNames('up')
    expect(names.idOfInfo('up/abc.info')).toBe('abc')
    expect(names.idOfInfo('up/abc')).toBeUndefined()
    expect(names.idOfInfo('other/abc.info')).toBeUndefined()
    expect(names.idOfInfo('upabc.info')).toBeUndefined()
  })
})
