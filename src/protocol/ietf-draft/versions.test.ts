import { describe, expect, it } from 'vitest'
import { dialectOf, INTEROP_VERSIONS, NEWEST } from './versions.js'

describe('the interop version table', () => {
  it('has one row per interop version from 3 to 10, oldest first', () => {
    expect(INTEROP_VERSIONS.map((row) => row.version)).toEqual([3, 4, 5, 6, 7, 8, 9, 10])
    expect(NEWEST.version).toBe(10)
  })

  it('names the completeness field as each draft does: Upload-Incomplete in -01 only', () => {
    expect(INTEROP_VERSIONS.filter((row) => row.completeness === 'upload-incomplete').map((row) => row.version)).toEqual([3])
  })

  it('calls the lifetime "expires" in -04/-05 and "max-age" from -06, and has no Upload-Limit before -04', () => {
    const keys = INTEROP_VERSIONS.map((row) => (row.uploadLimit === false ? null : row.uploadLimit.lifetimeKey))
    expect(keys).toEqual([null, null, null, 'expires', 'max-age', 'max-age', 'max-age', 'max-age'])
  })

  it('[R-59] reports the upload\'s offset and state in failures up to -05 (interop 6), Upload-Complete: ?0 from -06', () => {
    const withState = INTEROP_VERSIONS.filter((row) => row.failureFields === 'upload-state').map((row) => row.version)
    expect(withState).toEqual([3, 4, 5, 6])
  })

  it('defines completed-upload in interop 6 to 8 only', () => {
    const having = INTEROP_VERSIONS.filter((row) => row.problemTypes.includes('completed-upload')).map((row) => row.version)
    expect(having).toEqual([6, 7, 8])
  })
})

describe('dialectOf', () => {
  it.each([['3', 3], ['6', 6], ['10', 10], [' 8 ', 8], ['5;x=1', 5]])('reads %j as interop %i and echoes it', (value, version) => {
    const dialect = dialectOf(value)
    expect(dialect.row.version).toBe(version)
    expect(dialect.echo).toBe(String(version))
  })

  it.each([[undefined], ['11'], ['2'], ['-5'], ['6.0'], ['abc'], ['5, 6'], ['?1'], ['']])(
    '[R-32] serves %j with the newest semantics and never echoes it',
    (value) => {
      const dialect = dialectOf(value)
      expect(dialect.row).toBe(NEWEST)
      expect(dialect.echo).toBeUndefined()
    },
  )
})
