import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http'
import type { ProtocolResponse } from '../response.js'
import type { InteropVersion, ProblemType } from './versions.js'

const PROBLEM_TYPE_BASE = 'https://iana.org/assignments/http-problem-types#'

// The titles the drafts give their problem types (§7 of each draft).
const TITLES: Record<ProblemType, string> = {
  'mismatching-upload-offset': 'offset from request does not match offset of resource',
  'completed-upload': 'upload is already completed',
  'inconsistent-upload-length': 'inconsistent length values for upload',
}

/** What a problem says: its type (if the row defines it), a human-readable detail, and extension members. */
export interface Problem {
  readonly status: number
  readonly type?: ProblemType
  readonly detail: string
  /** Extension members, e.g. `expected-offset` and `provided-offset`. */
  readonly members?: Readonly<Record<string, number | string>>
  readonly headers?: OutgoingHttpHeaders
  /**
   * For creation and append, the completeness field to answer with: from -06, whether the answer comes
   * from processing the whole representation (`?1`, e.g. a `Repr-Digest` mismatch) rather than from the
   * upload protocol (`?0`, the default); up to -05, whether the upload is complete (no field when unknown).
   */
  readonly complete?: boolean
}

/**
 * An RFC 9457 `application/problem+json` response. A problem type the row does not define is left
 * out: the problem is then `about:blank`, titled with the status phrase (RFC 9457 §4.2.1).
 */
export function problemResponse(row: InteropVersion, problem: Problem): ProtocolResponse {
  const type = problem.type !== undefined && row.problemTypes.includes(problem.type) ? problem.type : undefined
  const body = {
    ...(type === undefined
      ? { title: STATUS_CODES[problem.status] ?? 'Error' }
      : { type: `${PROBLEM_TYPE_BASE}${type}`, title: TITLES[type] }),
    status: problem.status,
    detail: problem.detail,
    ...problem.members,
  }
  return {
    status: problem.status,
    headers: { ...problem.headers, 'content-type': 'application/problem+json' },
    body: `${JSON.stringify(body)}\n`,
  }
}
