// RFC 9110 §8.4: a comma-separated list of content codings, each a token; `identity` means none.
const CODINGS = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}){0,3}$/

/**
 * the content codings of a representation (`gzip`, `br, gzip`), from a `Content-Encoding` value or
 * the metadata it was kept in, lower-cased and checked, so that it can be sent back in a header as it is;
 * undefined when there are none (`identity`) or the value is not a list of codings.
 */
export function contentCodings(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim().toLowerCase()
  if (trimmed === undefined || !CODINGS.test(trimmed) || trimmed === 'identity') return undefined
  return trimmed.split(/\s*,\s*/).join(', ')
}
