import { randomBytes } from 'node:crypto'

// 128 random bits as 32 lowercase hex characters, the form tusd gives its file-store ids.
const ID_BYTES = 16

// Ids we accept from URLs: URL-safe characters only, so that an id can never be a path
// (`..`, `/`, `%2F`, NUL) or name an `.info` file. tusd's ids fit this pattern.
const VALID_ID = /^[A-Za-z0-9_-]{1,128}$/

/** A fresh, unguessable upload id. */
export function newUploadId(): string {
  return randomBytes(ID_BYTES).toString('hex')
}

/** True when `id` has the shape of an upload id; anything else is unknown (404), never a path. */
export function isValidUploadId(id: string): boolean {
  return VALID_ID.test(id)
}
