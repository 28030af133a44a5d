import type { Upload, UploadInit } from '../model/upload.js'

/**
 * Checks a length declared for `upload` (`UploadChanges.length`): a byte count, not below the bytes stored,
 * and the length already known if there is one. Throws `RangeError` otherwise. The service checks the same
 * first and answers the client with a fact; a store checks again so that a bad call never reaches its data.
 */
export function checkDeclaredLength(upload: Upload, length: number): void {
  if (!(Number.isSafeInteger(length) && length >= 0)) throw new RangeError(`not an upload length: ${length}`)
  if (length < upload.offset) throw new RangeError(`length ${length} is below the ${upload.offset} bytes of upload ${upload.id}`)
  if (upload.length !== undefined && upload.length !== length) {
    throw new RangeError(`upload ${upload.id} has a length of ${upload.length} already, not ${length}`)
  }
}

/**
 * Checks what `create` is asked for: an id the store takes (`isValidId`) and, when given, a length that is a
 * byte count. Throws `RangeError` otherwise.
 */
export function checkNewUpload(init: UploadInit, isValidId: (id: string) => boolean): void {
  if (!isValidId(init.id)) throw new RangeError(`not an upload id: ${JSON.stringify(init.id)}`)
  if (init.length !== undefined && !(Number.isSafeInteger(init.length) && init.length >= 0)) {
    throw new RangeError(`not an upload length: ${init.length}`)
  }
}
