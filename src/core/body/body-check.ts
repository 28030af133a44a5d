/**
 * A check over the bytes of one request body, computed while they stream (a checksum, a digest).
 * The service feeds it every byte it appends (one pass, through the guarded body) and asks it for a verdict once the body has ended;
 * a failed verdict rolls the upload back to where the request started, so the bytes never count.
 */
export interface BodyCheck {
  /**
   * Whether a body that stops early loses all its bytes (default true: a checksum cannot vouch for a part
   * of a body). False for a check that only has something to say about a body received whole.
   */
  readonly allOrNothing?: boolean
  /** Sees every appended byte, in order. */
  update(chunk: Uint8Array): void
  /**
   * Called after the whole body was received (not when it stopped early). Throws a core error
   * (for example `ChecksumMismatch`) when the bytes must be discarded. May wait, e.g. for trailers.
   */
  verify(): void | Promise<void>
}
