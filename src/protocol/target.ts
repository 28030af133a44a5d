/** What a request path names: the collection (create here), one upload, or nothing of ours. */
export type Target = { readonly kind: 'collection' } | { readonly kind: 'upload'; readonly id: string }

/**
 * Resolves a raw (not percent-decoded) path against the base path. The id is what follows it, percent-decoded
 * (as tusd reads it: a client that encodes the `+` of an S3 id as `%2B` names the same upload); it must be one
 * the store can hold (`isValidId`). Anything else (`..`, `/`, NUL, deeper paths for a file store, bad escapes)
 * names nothing and is answered with 404.
 */
export function resolveTarget(path: string, basePath: string, isValidId: (id: string) => boolean): Target | undefined {
  if (path === basePath || `${path}/` === basePath) return { kind: 'collection' }
  if (!path.startsWith(basePath)) return undefined
  const id = decoded(path.slice(basePath.length))
  return id !== undefined && id !== '' && isValidId(id) ? { kind: 'upload', id } : undefined
}

function decoded(segment: string): string | undefined {
  if (!segment.includes('%')) return segment
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}
