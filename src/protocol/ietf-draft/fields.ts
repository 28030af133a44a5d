import type { IncomingHttpHeaders } from 'node:http'
import { excerpt, HeaderError } from '../header-error.js'
import { headerValue } from '../http/header-value.js'
import { DraftRefusal } from './refusal.js'
import { parseBoolean, parseNonNegativeInteger } from './sf-values.js'
import type { InteropVersion } from './versions.js'

/** A request field of a draft request, read with the row's rule for values of the wrong type. */
export class DraftFields {
  readonly #headers: IncomingHttpHeaders
  readonly #row: InteropVersion

  constructor(headers: IncomingHttpHeaders, row: InteropVersion) {
    this.#headers = headers
    this.#row = row
  }

  /** The raw value, repeated fields joined as a list (which then fails to parse as an Item). */
  raw(name: string): string | undefined {
    return headerValue(this.#headers, name)
  }

  /** A non-negative Integer field. Throws HeaderError for a bad value unless the row ignores those (then undefined). */
  integer(name: string): number | undefined {
    return this.#read(name, parseNonNegativeInteger, 'a non-negative integer')
  }

  /**
   * Whether the request says it ends the upload, from the row's completeness field (`Upload-Incomplete`
   * is inverted). Undefined when absent (or ignored). Throws HeaderError for a bad value unless ignored.
   */
  complete(): boolean | undefined {
    const value = this.#read(this.#row.completeness, parseBoolean, 'a boolean (?0 or ?1)')
    if (value === undefined) return undefined
    return this.#row.completeness === 'upload-incomplete' ? !value : value
  }

  #read<T>(name: string, parse: (value: string) => T | undefined, expected: string): T | undefined {
    const value = this.raw(name)
    if (value === undefined) return undefined
    const parsed = parse(value)
    if (parsed !== undefined) return parsed
    // -09 on: "Other values MUST cause the entire header field to be ignored."
    if (this.#row.invalidField === 'ignore') return undefined
    throw new HeaderError(displayName(name), `must be ${expected}, got "${excerpt(value)}"`)
  }
}

/** The field whose value says whether a response completes the upload, in the row's name and polarity. */
export function completenessField(row: InteropVersion, complete: boolean): Record<string, string> {
  const value = row.completeness === 'upload-incomplete' ? !complete : complete
  return { [row.completeness]: value ? '?1' : '?0' }
}

/** `upload-offset` -> `Upload-Offset`, for messages. */
export function displayName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`)
}

/**
 * the length a request indicates, from `Upload-Length` (rows that have it) and/or `?1` with
 * `Content-Length` (the request's content then ends the upload at `offset` + its size). Throws DraftRefusal
 * if the two differ, HeaderError for a malformed `Upload-Length` (unless the row ignores those).
 */
export function indicatedLength(fields: DraftFields, row: InteropVersion, complete: boolean, offset: number, bodySize: number | undefined): number | undefined {
  const declared = row.uploadLength ? fields.integer('upload-length') : undefined
  const indicated = complete && row.contentLengthIsLength && bodySize !== undefined ? offset + bodySize : undefined
  if (declared !== undefined && indicated !== undefined && declared !== indicated) {
    throw new DraftRefusal('INCONSISTENT_LENGTH', {
      status: 400,
      type: 'inconsistent-upload-length',
      detail: `Upload-Length (${declared}) does not match the ${indicated} bytes that Upload-Complete: ?1 with Content-Length indicate`,
    })
  }
  return declared ?? indicated
}

/** -01 to -05: an offset retrieval or cancellation carrying upload state fields "MUST" be rejected with 400. Throws HeaderError. */
export function rejectFields(headers: IncomingHttpHeaders, names: readonly string[], what: string): void {
  const present = names.find((name) => headers[name] !== undefined)
  if (present !== undefined) throw new HeaderError(displayName(present), `must not be sent with ${what}`)
}
