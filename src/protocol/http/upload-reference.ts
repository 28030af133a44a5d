import type { Exchange } from '../../transport/exchange.js'
import { resolveTarget } from '../target.js'

/**
 * The id of the upload a URL names, when it names one of this gateway's uploads: a relative URL is
 * resolved against the request's path; an absolute one (http or https) is taken by its path whatever its
 * host, as tusd does, since the URL a client holds may be a proxy's (nginx rewrites `Location` to its own
 * address by default). Returns undefined for anything else.
 */
export function uploadIdOf(reference: string, exchange: Exchange, basePath: string, isValidId: (id: string) => boolean): string | undefined {
  let url: URL
  try {
    url = new URL(reference, new URL(exchange.path, 'http://gateway.invalid'))
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  if (url.username !== '' || url.password !== '') return undefined
  const target = resolveTarget(url.pathname, basePath, isValidId)
  return target?.kind === 'upload' ? target.id : undefined
}
