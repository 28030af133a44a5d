import { describe, expect, it } from 'vitest'
import { InvalidInfoFile, newInfo, uploadFromInfo, withChanges } from './tusd-info.js'

const STORAGE = { Type: 'filestore', Path: '/d/x', InfoPath: '/d/x.info' } as const
const A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'

describe('.info of concatenation uploads', () => {
  it('writes a partial upload as tusd does: IsPartial', () => {
    const info = newInfo(A, { id: A, length: 3, metadata: {}, concat: { kind: 'partial' } }, STORAGE, 1)
    expect(info).toMatchObject({ IsPartial: true, IsFinal: false, PartialUploads: null })
    expect(info).not.toHaveProperty('partialUrls')
  })

  it('writes a final upload as tusd does (IsFinal, PartialUploads as ids), and the URLs as sent in a key of ours', () => {
    const concat = { kind: 'final', partials: [A, B, A], partialUrls: [`/files/${A}`, `http://h/files/${B}`, `/files/${A}`] } as const
    const info = newInfo('f', { id: 'f', length: 9, metadata: {}, concat }, STORAGE, 1)
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
    const info = newInfo(A, { id: A, length: 3, metadata: {} }, STORAGE, 1)
    expect(uploadFromInfo(A, info, { size: 2, modifiedAt: 1234 }, 'a.info')).toMatchObject({ offset: 2, updatedAt: 1234 })
    expect(uploadFromInfo(A, info, { size: 2 }, 'a.info')).not.toHaveProperty('updatedAt')
  })
})

describe('changes to a .info', () => {
  const info = (): Record<string, unknown> => JSON.parse(JSON.stringify(newInfo(A, { id: A, metadata: {} }, STORAGE, 1)))

  it('declares a length as tusd does, keeping every other field, unknown ones included', () => {
    const changed = withChanges({ ...info(), FutureField: [1, 2] }, { length: 7 })
    expect(changed).toMatchObject({ Size: 7, SizeIsDeferred: false, FutureField: [1, 2], Storage: STORAGE, createdAt: 1 })
    expect(uploadFromInfo(A, changed, { size: 0 }, 'a.info').length).toBe(7)
  })

  it('records completion pending and the final uploads that await a partial upload in keys of ours, left out when empty', () => {
    const pending = withChanges(info(), { completionPending: true, awaitedBy: [B, 'c'] })
    expect(pending).toMatchObject({ completionPending: true, awaitedBy: [B, 'c'] })
    expect(uploadFromInfo(A, pending, { size: 0 }, 'a.info')).toMatchObject({ completionPending: true, awaitedBy: [B, 'c'] })
    // A change that does not name a field keeps it.
    expect(withChanges(pending, { length: 3 })).toMatchObject({ completionPending: true, awaitedBy: [B, 'c'] })
    const cleared = withChanges(pending, { completionPending: false, awaitedBy: [] })
    expect(cleared).not.toHaveProperty('completionPending')
    expect(cleared).not.toHaveProperty('awaitedBy')
    expect(Object.keys(cleared).sort()).toEqual(Object.keys(info()).sort())
  })

  it('ignores an awaitedBy that is not a list of ids', () => {
    expect(uploadFromInfo(A, { ...info(), awaitedBy: 'x' }, { size: 0 }, 'a.info')).not.toHaveProperty('awaitedBy')
  })
})

describe('.info of other stores', () => {
  it('writes the id the store extended and its own Storage map, as tusd s3store does', () => {
    const storage = { Bucket: 'b', Key: 'uploads/abc', Type: 's3store' }
    const info = newInfo('abc+mp1', { id: 'abc', length: 1, metadata: { name: 'x' } }, storage, 5)
    expect(info).toMatchObject({ ID: 'abc+mp1', Storage: storage, MetaData: { name: 'x' } })
    expect(uploadFromInfo('abc+mp1', info, { size: 1 }, 'uploads/abc.info')).toMatchObject({ id: 'abc+mp1', offset: 1, length: 1 })
  })

  it('names the .info in its errors', () => {
    expect(() => uploadFromInfo('x', { Size: 'big' }, { size: 0 }, 'uploads/x.info')).toThrow(/uploads\/x\.info is not a valid tusd \.info file/)
  })
})
