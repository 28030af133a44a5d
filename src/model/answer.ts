/**
 * Parts of an HTTP answer that something outside the protocols chose (tusd's `HTTPResponse`: a hook's
 * status, headers and body). Opaque to the core; each codec merges it into the response it builds.
 */
export interface Answer {
  /** Replaces the status when set. */
  readonly status?: number
  /** Added to (and replacing) the response's headers. */
  readonly headers?: Readonly<Record<string, string>>
  /** Replaces the body when set. */
  readonly body?: string
}

/** Two answers merged, the later one winning field by field (headers merged); undefined when both are. */
export function mergeAnswers(first: Answer | undefined, second: Answer | undefined): Answer | undefined {
  if (first === undefined || second === undefined) return first ?? second
  return { ...first, ...second, headers: { ...first.headers, ...second.headers } }
}
