import { describe, expect, it } from 'vitest'
import { InvalidInfoFile, newInfo, uploadFromInfo } from './info-file.js'

const STORAGE = { Type: 'filestore', Path: '/d/x', InfoPath: '/d/x.info' } as const
const A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'

describe('.info of concatenation uploads', () => {
  it('writes a partial upload as tusd does: IsPartial', () => {
    const info = newInfo({ id: A, length: 3, metadata: {}, concat: { kind: 'partial' } }, STORAGE, 1)
    expect(info).toMatchObject({ IsPartial: true, IsFinal: false, PartialUploads: null })
    expect(info).not.toHaveProperty('partialUrls')
  })

  it('writes a final upload as tusd does (IsFinal, PartialUploads as ids), and the URLs as sent in a key of ours', () => {
    const concat = { kind: 'final', partials: [A, B, A], partialUrls: [`/files/${A}`, `http://h/files/${B}`, `/files/${A}`] } as const
    const info = newInfo({ id: 'f', length: 9, metadata: {}, concat }, STORAGE, 1)
    expect(info).toMatchObject({ IsPartial: false, IsFinal: true, PartialUploads: [A, B, A], partialUrls: concat.partialUrls })
    expect(uploadFromInfo('f', JSON.parse(JSON.stringify(info)), { size: 0 }, 'f.info').concat).toEqual(concat)
  })

  it('reads a final upload written by tusd, which has ids only', () => {
    const info = { ID: 'f', Size: 6, SizeIsDeferred: false, Offset: 0, MetaData: {}, IsPartial: false, IsFinal: true, PartialUploads: [A, B] }
    expect(uploadFromInfo('f', info, { size: 6 }, 'f.info')).toMatchObject({ offset: 6, length: 6, concat: { kind: 'final', partials: [A, B] } })
  })

  it('ignores URLs that do not match the ids, and refuses a final upload without a list of ids', () => {
    const base = { ID: 'f', Size: 6, SizeIsDeferred: false, MetaData: {}, IsFinal: true }
    expect(uploadFromInfo('f', { ...base, PartialUploads: [A], partialUrls: ['/x', '/y'] }, { size: 0 }, 'f.info').concat).toEqual({
      kind: 'final',
      partials: [A],
    })
    expect(() => uploadFromInfo('f', { ...base, PartialUploads: null }, { size: 0 }, 'f.info')).toThrow(InvalidInfoFile)
    expect(() => uploadFromInfo('f', { ...base, PartialUploads: [1] }, { size: 0 }, 'f.info')).toThrow(InvalidInfoFile)
  })

  it('takes the last write from the data file', () => {
    const info = newInfo({ id: A, length: 3, metadata: {} }, STORAGE, 1)
    expect(uploadFromInfo(A, info, { size: 2, modifiedAt: 1234 }, 'a.info')).toMatchObject({ offset: 2, updatedAt: 1234 })
    expect(uploadFromInfo(A, info, { size: 2 }, 'a.info')).not.toHaveProperty('updatedAt')
  })
})
