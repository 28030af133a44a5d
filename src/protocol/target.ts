/** What a request path names: the collection (create here), one upload, or nothing of ours. */
export type Target = { readonly kind: 'collection' } | { readonly kind: 'upload'; readonly id: string }

/**
 * Resolves a raw (not percent-decoded) path against the base path. An id must be one the store can hold
 * (`isValidId`); anything else (`..`, `%2F`, NUL, deeper paths for a file store) names nothing and is
 * answered with 404.
 */
export function resolveTarget(path: string, basePath: string, isValidId: (id: string) => boolean): Target | undefined {
  if (path === basePath || `${path}/` === basePath) return { kind: 'collection' }
  if (!path.startsWith(basePath)) return undefined
  const id = path.slice(basePath.length)
  return id !== '' && isValidId(id) ? { kind: 'upload', id } : undefined
}
