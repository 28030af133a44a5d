import type { IncomingHttpHeaders } from 'node:http'

/**
 * A request field's value, or undefined when it is absent. A field node keeps as several lines is read
 * as one list (RFC 9110 §5.3: `a, b`), which a parser expecting one value then refuses rather than
 * picking one of them.
 */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}
