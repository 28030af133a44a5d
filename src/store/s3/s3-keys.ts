/**
 * Upload ids and object keys in tusd's s3store layout: an upload id is `<objectId>+<multipartId>`; its
 * bytes are the object `<prefix><objectId>` (a multipart upload until it is finished), its state the
 * object `<prefix><objectId>.info` and the bytes after its last part the object `<prefix><objectId>.part`.
 * `.info` and `.part` use the object id, not the whole upload id, as tusd's do.
 */

// One safe URL path segment (the id is the last segment of an upload's URL, taken as it is, never
// percent-decoded): unreserved characters, `+` (tusd's separator; an object id may contain one too) and
// `=` (padding of some servers' multipart ids). Never only dots, so never `.` or `..`.
const ID_ALPHABET = /^(?!\.+$)[A-Za-z0-9._~+=-]+$/
// What a new upload's object id may be: the alphabet without `=`, so that tusd's ids (32 hex digits) and
// ids chosen by a pre-create hook fit, and nothing that could end in `.info` or `.part` confuses a listing.
const OBJECT_ID = /^(?!\.+$)[A-Za-z0-9._~+-]+$/
// S3 keys are at most 1024 bytes; ids stay well below, leaving room for a prefix and the `.info` suffix.
const MAX_ID_LENGTH = 900
const MAX_OBJECT_ID_LENGTH = 256

/** Whether `id` can name an upload of an S3 store: one safe path segment of at most 900 characters. */
export function isValidUploadId(id: string): boolean {
  return id.length <= MAX_ID_LENGTH && ID_ALPHABET.test(id)
}

/** Whether `objectId` can be a new upload's object id (the wanted id at creation). */
export function isValidObjectId(objectId: string): boolean {
  return objectId.length <= MAX_OBJECT_ID_LENGTH && OBJECT_ID.test(objectId) && !/\.(info|part)$/.test(objectId)
}

/**
 * Splits an upload id at its last `+` (tusd's `splitIds`: the object id may contain `+`, a multipart id
 * never does). Undefined when either side would be empty or the id is not valid: such an id names no upload.
 */
export function splitUploadId(id: string): { readonly objectId: string; readonly multipartId: string } | undefined {
  if (!isValidUploadId(id)) return undefined
  const at = id.lastIndexOf('+')
  if (at <= 0 || at === id.length - 1) return undefined
  return { objectId: id.slice(0, at), multipartId: id.slice(at + 1) }
}

/** The upload id of the multipart upload `multipartId` of `objectId`, or undefined if it cannot be one. */
export function joinUploadId(objectId: string, multipartId: string): string | undefined {
  if (multipartId.includes('+')) return undefined
  const id = `${objectId}+${multipartId}`
  return splitUploadId(id)?.objectId === objectId ? id : undefined
}

/** The object keys of a store: tusd's `keyWithPrefix` and `metadataKeyWithPrefix`. */
export class ObjectKeys {
  readonly #prefix: string
  readonly #metadataPrefix: string

  /**
   * `objectPrefix` is put before every key, with a `/` added when it lacks one (tusd's `-s3-object-prefix`);
   * `metadataPrefix` (default: `objectPrefix`) before the keys of `.info` and `.part` objects.
   */
  constructor(objectPrefix = '', metadataPrefix = '') {
    this.#prefix = withSlash(objectPrefix)
    this.#metadataPrefix = metadataPrefix === '' ? this.#prefix : withSlash(metadataPrefix)
  }

  /** The key of the upload's bytes (its multipart upload, then the finished object). */
  data(objectId: string): string {
    return this.#prefix + objectId
  }

  /** The key of the upload's `.info` object (tusd's JSON). */
  info(objectId: string): string {
    return `${this.#metadataPrefix}${objectId}.info`
  }

  /** The key of the upload's `.part` object: the bytes after its last part. */
  tail(objectId: string): string {
    return `${this.#metadataPrefix}${objectId}.part`
  }

  /** The prefix every `.info` key starts with, for listings. */
  get infoPrefix(): string {
    return this.#metadataPrefix
  }

  /** The prefix of every data key, for listings of multipart uploads. */
  get dataPrefix(): string {
    return this.#prefix
  }

  /** The object id of an `.info` key of this store, or undefined for any other key. */
  objectIdOfInfo(key: string): string | undefined {
    if (!key.startsWith(this.#metadataPrefix) || !key.endsWith('.info')) return undefined
    const objectId = key.slice(this.#metadataPrefix.length, -'.info'.length)
    return isValidUploadId(objectId) ? objectId : undefined
  }

  /** The object id of a data key of this store, or undefined for any other key. */
  objectIdOfData(key: string): string | undefined {
    if (!key.startsWith(this.#prefix)) return undefined
    const objectId = key.slice(this.#prefix.length)
    return isValidUploadId(objectId) ? objectId : undefined
  }

  /** The `x-amz-copy-source` of an object of `bucket`: bucket and key, the key percent-encoded but its slashes. */
  copySource(bucket: string, key: string): string {
    return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`
  }
}

function withSlash(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`
}
