import { isValidUploadId } from '../core/upload-id.js'

/** What a request path names: the collection (create here), one upload, or nothing of ours. */
export type Target = { readonly kind: 'collection' } | { readonly kind: 'upload'; readonly id: string }

/**
 * Resolves a raw (not percent-decoded) path against the base path. An id must have the shape of
 * ours; anything else (`..`, `%2F`, NUL, deeper paths) names nothing and is answered with 404.
 */
export function resolveTarget(path: string, basePath: string): Target | undefined {
  if (path === basePath || `${path}/` === basePath) return { kind: 'collection' }
  if (!path.startsWith(basePath)) return undefined
  const id = path.slice(basePath.length)
  return isValidUploadId(id) ? { kind: 'upload', id } : undefined
}
