import type { Answer } from '../model/answer.js'
import type { ProtocolResponse } from './response.js'

/** Headers an answer from outside (a hook) may not set: the transport frames the body, the codec names the upload. */
const PROTECTED = new Set(['content-length', 'transfer-encoding', 'connection', 'location'])

/**
 * A response with a hook's answer merged in, as tusd merges `HTTPResponse`: a status replaces the status,
 * a body the body, and headers are laid over the response's (`Location` and framing headers excepted).
 */
export function withAnswer(response: ProtocolResponse, answer: Answer | undefined): ProtocolResponse {
  if (answer === undefined) return response
  const headers = { ...response.headers }
  for (const [name, value] of Object.entries(answer.headers ?? {})) {
    const lower = name.toLowerCase()
    if (!PROTECTED.has(lower)) headers[lower] = value
  }
  return {
    status: answer.status !== undefined && answer.status > 0 ? answer.status : response.status,
    headers,
    body: answer.body !== undefined && answer.body !== '' ? answer.body : response.body,
  }
}
