import { randomHex } from '../model/random-hex.js'

// 128 random bits as 32 lowercase hex characters, the form tusd gives its file-store ids; a store may
// extend it (tusd's S3 ids append `+<multipartId>`), and a pre-create hook may choose another.
const ID_BYTES = 16

/** A fresh, unguessable upload id. */
export function newUploadId(): string {
  return randomHex(ID_BYTES)
}
