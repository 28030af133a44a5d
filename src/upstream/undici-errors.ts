// What undici's and node's errors mean for a request to the application.

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
])

/** The application did not answer (or stopped taking the body) within the timeout. */
export function isTimeout(error: unknown): boolean {
  return TIMEOUTS.has(codeOf(error))
}

/** No answer came because the application could not be reached, or its connection broke. */
export function isUnreachable(error: unknown): boolean {
  return UNREACHABLE.has(codeOf(error)) || UNREACHABLE.has(codeOf((error as { cause?: unknown } | undefined)?.cause))
}

/** Response headers as undici gives them, values of repeated fields as lists. */
export function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) result[name.toLowerCase()] = value
  return result
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : ''
}
