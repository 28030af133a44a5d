/**
 * A creation with upload that failed once its upload existed (a checksum mismatch, a body cut short,
 * shutdown): the answer is the one to `cause`, with the `Location` of the upload, so that a client can
 * resume the bytes that were stored instead of starting again.
 */
export class FailedAfterCreation extends Error {
  constructor(
    override readonly cause: unknown,
    readonly location: string,
  ) {
    super(`creation of ${location} failed`, { cause })
    this.name = 'FailedAfterCreation'
  }
}
