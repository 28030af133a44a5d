import type { Exchange } from '../../transport/exchange.js'
import { resolveTarget } from '../target.js'

/**
 * The id of the upload a URL names, when it names one of this gateway's uploads: a relative URL is
 * resolved against the request's path; an absolute one must also be on `origin` (the one the client
 * reached, see `requestOrigin`; not checked when unknown). Returns undefined for anything else.
 */
export function uploadIdOf(
  reference: string,
  exchange: Exchange,
  origin: string | undefined,
  basePath: string,
  isValidId: (id: string) => boolean,
): string | undefined {
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(reference)
  let url: URL
  try {
    // The base's host only completes relative references; absolute ones are compared with `origin` below.
    url = new URL(reference, new URL(exchange.path, origin ?? 'http://gateway.invalid'))
  } catch {
    return undefined
  }
  if (absolute) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
    if (origin !== undefined && url.origin !== new URL(origin).origin) return undefined
  }
  if (url.username !== '' || url.password !== '') return undefined
  const target = resolveTarget(url.pathname, basePath, isValidId)
  return target?.kind === 'upload' ? target.id : undefined
}
