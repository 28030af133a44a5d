import type { UploadConcat } from '../../model/upload.js'
import { excerpt, HeaderError } from '../header-error.js'

const HEADER = 'Upload-Concat'

/** An `Upload-Concat` request header: a partial upload, or a final upload of these partial upload URLs. */
export type ConcatRequest = { readonly kind: 'partial' } | { readonly kind: 'final'; readonly urls: readonly string[] }

/**
 * T-51: `partial`, or `final;` followed by a space-separated list of partial upload URLs (absolute or
 * relative; a URL contains no spaces). Throws HeaderError for anything else, an empty list included.
 */
export function parseUploadConcat(value: string): ConcatRequest {
  const trimmed = value.trim()
  if (trimmed === 'partial') return { kind: 'partial' }
  if (!trimmed.startsWith('final;')) throw new HeaderError(HEADER, `must be "partial" or "final;<url> <url> ...", got "${excerpt(value)}"`)
  const urls = trimmed
    .slice('final;'.length)
    .split(' ')
    .filter((url) => url !== '')
  if (urls.length === 0) throw new HeaderError(HEADER, 'names no partial upload after "final;"')
  return { kind: 'final', urls }
}

/**
 * The final upload's concatenation from its URLs: each must name an upload of this gateway (`idOf` gives
 * its id, or undefined). Throws HeaderError naming the first URL that does not.
 */
export function finalConcat(urls: readonly string[], idOf: (url: string) => string | undefined): UploadConcat {
  const partials = urls.map((url) => {
    const id = idOf(url)
    if (id === undefined) throw new HeaderError(HEADER, `"${excerpt(url)}" is not the URL of an upload on this server`)
    return id
  })
  return { kind: 'final', partials, partialUrls: urls }
}

/**
 * T-61: the `Upload-Concat` response value, as the client sent it at creation: `partial`, or `final;` and
 * the partial uploads' URLs (built from their ids by `urlOf` when the client's are not known, e.g. for an
 * upload created by tusd).
 */
export function serializeUploadConcat(concat: UploadConcat, urlOf: (id: string) => string): string {
  if (concat.kind === 'partial') return 'partial'
  return `final;${(concat.partialUrls ?? concat.partials.map(urlOf)).join(' ')}`
}
