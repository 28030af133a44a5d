import { describe, expect, it } from 'vitest'
import { resolveTarget } from './target.js'

// tusd's S3 ids hold a `+` (`<objectId>+<multipartId>`), which a client building URLs with encodeURIComponent
// sends as `%2B`: tusd decodes the path, so the gateway does too; what decodes to no valid id names nothing.
const S3_ID = /^[0-9a-f]{32}\+[A-Za-z0-9._~-]+$/
const isValidId = (id: string): boolean => S3_ID.test(id)
const ID = '0123456789abcdef0123456789abcdef+2~AbC.d_e-F'

describe('resolveTarget', () => {
  it('names the collection, and an upload by its id as sent', () => {
    expect(resolveTarget('/files/', '/files/', isValidId)).toEqual({ kind: 'collection' })
    expect(resolveTarget('/files', '/files/', isValidId)).toEqual({ kind: 'collection' })
    expect(resolveTarget(`/files/${ID}`, '/files/', isValidId)).toEqual({ kind: 'upload', id: ID })
  })

  it('names the same upload when its id is percent-encoded', () => {
    expect(resolveTarget(`/files/${encodeURIComponent(ID)}`, '/files/', isValidId)).toEqual({ kind: 'upload', id: ID })
    expect(resolveTarget(`/files/${ID.replace('+', '%2b')}`, '/files/', isValidId)).toEqual({ kind: 'upload', id: ID })
  })

  it('names nothing for what decodes to no valid id, or does not decode', () => {
    for (const path of ['/files/%2e%2e', '/files/a%2Fb', `/files/${ID}%00`, '/files/%E0%A4%A', `/files/${ID}/x`, '/other/x', '/files/']) {
      expect(resolveTarget(path, '/files/', isValidId)?.kind === 'upload', path).toBe(false)
    }
  })
})
