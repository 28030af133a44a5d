/**
 * The facts of the request that touches an upload, protocol-free: for hook payloads (tusd's
 * `HTTPRequest`), logs and events. Built once per request by the router.
 */
export interface RequestInfo {
  /** Which protocol the request speaks (`tus-v1`, or the draft as `ietf-draft`). */
  readonly protocol: string
  /** The effective method (after `X-HTTP-Method-Override`). */
  readonly method: string
  /** The raw request target: path and query, as the client sent it. */
  readonly uri: string
  /** The peer's address as `ip:port`, as tusd reports `RemoteAddr`; undefined when unknown. */
  readonly remoteAddress?: string
  /** Request headers, names in lower case; values of repeated fields in order. */
  readonly headers: Readonly<Record<string, readonly string[]>>
  /** The request's id in logs. */
  readonly requestId?: string
}
