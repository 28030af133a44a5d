import type { IncomingHttpHeaders } from 'node:http'

/** The media type of a request's content: `Content-Type` without its parameters, in lower case (RFC 9110 §8.3.1). */
export function mediaType(headers: IncomingHttpHeaders): string | undefined {
  return headers['content-type']?.split(';')[0]?.trim().toLowerCase()
}
