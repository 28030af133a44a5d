import type { Upload, UploadConcat, UploadDigests, UploadInit, UploadTarget } from '../model/upload.js'
import type { UploadChanges } from './store.js'

/**
 * tusd's `Storage` map: where the writing store kept the bytes. Each tusd store writes its own keys
 * (filestore `{Type, Path, InfoPath}`, s3store `{Type, Bucket, Key}`, gcsstore `{Type, Bucket, Key}`,
 * azurestore `{Type, Container, Key}`); Go marshals the map with its keys sorted. Informative only:
 * every store of ours finds the bytes from the id, never from here.
 */
export type TusdStorage = Readonly<Record<string, string>>

/**
 * The JSON of a tusd `.info` file or object: tusd v2's `FileInfo` with its field names, so tusd and this
 * gateway can serve one directory or bucket, plus fields of our own in camelCase (Go's `encoding/json`
 * ignores unknown keys).
 */
export type InfoJson = {
  readonly ID: string
  /** 0 while the length is deferred, as tusd writes it. */
  readonly Size: number
  readonly SizeIsDeferred: boolean
  /** Written once at creation and never updated, as tusd does; the stored bytes are the real offset. */
  readonly Offset: number
  readonly MetaData: Record<string, string>
  readonly IsPartial: boolean
  readonly IsFinal: boolean
  readonly PartialUploads: string[] | null
  readonly Storage: TusdStorage | null
  /** Ours: when the upload was created, in milliseconds since the epoch. */
  readonly createdAt?: number
  /** Ours: metadata keys that came without a value; tusd's `MetaData` can only hold "" for them. */
  readonly metadataKeysWithoutValue?: string[]
  /** Ours: a final upload's partial uploads as the client named them (`PartialUploads` holds their ids, as tusd's). */
  readonly partialUrls?: string[]
  /** Ours: every byte is there but the client has not completed the upload yet (`Upload.completionPending`). */
  readonly completionPending?: true
  /** Ours: digests of the whole upload given or asked for at creation (`Upload.digests`). */
  readonly digests?: UploadDigests
  /** Ours: the final uploads that wait for this partial upload (`Upload.awaitedBy`); left out when none. */
  readonly awaitedBy?: string[]
  /** Ours: the request the upload is delivered as (upstream mode; `Upload.target`), headers included. */
  readonly target?: UploadTarget
  /** Ours: the target answered the delivery (`Upload.delivered`); left out until then. */
  readonly delivered?: true
}

/** A `.info` file or object that is not valid JSON or lacks what tusd always writes. */
export class InvalidInfoFile extends Error {
  /** `location`: the path or object key of the `.info`, for the message and the log. */
  constructor(readonly location: string, reason: string, options?: { cause?: unknown }) {
    super(`${location} is not a valid tusd .info file: ${reason}`, options)
    this.name = 'InvalidInfoFile'
  }
}

/** The `.info` content for a new upload whose id is `id` (the wanted id, or the one the store extended it to). */
export function newInfo(id: string, init: UploadInit, storage: TusdStorage | null, createdAt: number): InfoJson {
  const entries = Object.entries(init.metadata)
  const withoutValue = entries.filter(([, value]) => value === null).map(([key]) => key)
  return {
    ID: id,
    Size: init.length ?? 0,
    SizeIsDeferred: init.length === undefined,
    Offset: 0,
    // fromEntries defines own properties, so a key such as `__proto__` stays a plain key.
    MetaData: Object.fromEntries(entries.map(([key, value]) => [key, value ?? ''])),
    IsPartial: init.concat?.kind === 'partial',
    IsFinal: init.concat?.kind === 'final',
    PartialUploads: init.concat?.kind === 'final' ? [...init.concat.partials] : null,
    Storage: storage,
    createdAt,
    // Left out when empty so that files of uploads without such keys look exactly like tusd's.
    ...(withoutValue.length > 0 ? { metadataKeysWithoutValue: withoutValue } : {}),
    ...(init.concat?.kind === 'final' && init.concat.partialUrls !== undefined ? { partialUrls: [...init.concat.partialUrls] } : {}),
    ...(init.digests === undefined ? {} : { digests: init.digests }),
    ...(init.target === undefined ? {} : { target: init.target }),
  }
}

/**
 * Parses a `.info`'s text into its JSON object, keeping fields we do not know so that a rewrite
 * preserves them. Throws `InvalidInfoFile` when the text is not a JSON object.
 */
export function parseInfo(text: string, location: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new InvalidInfoFile(location, 'not JSON', { cause: error })
  }
  if (!isPlainObject(value)) throw new InvalidInfoFile(location, 'not a JSON object')
  return value
}

/** What the stored bytes say about an upload: how many there are (the offset) and, when known, their last write. */
export interface StoredBytes {
  readonly size: number
  readonly modifiedAt?: number
}

/**
 * The upload described by a parsed `.info`, given the stored bytes' size as its offset: tusd never
 * updates `Offset`, so it is not read. `Storage` names wherever the writing server kept the data: it is
 * reported (`Upload.storage`, for hooks, as tusd reports it), never used to find the bytes; a store that
 * knows better where the bytes are now (a directory moved since) gives `storage` instead.
 * Throws `InvalidInfoFile` when `Size`, `MetaData` or `PartialUploads` is malformed.
 */
export function uploadFromInfo(id: string, info: Record<string, unknown>, bytes: StoredBytes, location: string, storage?: TusdStorage): Upload {
  const deferred = info['SizeIsDeferred'] === true
  const size = info['Size']
  if (!deferred && !isByteCount(size)) throw new InvalidInfoFile(location, '`Size` is not a byte count')
  const createdAt = info['createdAt']
  const concat = concatFromInfo(info, location)
  const awaitedBy = info['awaitedBy']
  return {
    id,
    offset: bytes.size,
    ...(deferred ? {} : { length: size as number }),
    metadata: metadataFromInfo(info, location),
    ...(typeof createdAt === 'number' && Number.isFinite(createdAt) ? { createdAt } : {}),
    ...(bytes.modifiedAt === undefined ? {} : { updatedAt: bytes.modifiedAt }),
    ...(concat === undefined ? {} : { concat }),
    ...(info['completionPending'] === true ? { completionPending: true } : {}),
    ...digestsFromInfo(info),
    ...(isStringArray(awaitedBy) && awaitedBy.length > 0 ? { awaitedBy } : {}),
    ...targetFromInfo(info),
    ...(storage === undefined ? storageFromInfo(info) : { storage }),
  }
}

/** tusd's `Storage` when it is a map of strings; anything else (null, an edited file) tells nothing. */
function storageFromInfo(info: Record<string, unknown>): { storage?: TusdStorage } {
  const storage = info['Storage']
  if (!isPlainObject(storage) || !Object.values(storage).every((value) => typeof value === 'string')) return {}
  return { storage: storage as TusdStorage }
}

/**
 * A copy of a parsed `.info` with `changes` applied (a declared length, completion pending or not, the
 * final uploads that await it); every other field is kept as it was, unknown ones included. Keys of ours
 * that no longer say anything are left out, so the file looks like tusd's where it can.
 */
export function withChanges(info: Record<string, unknown>, changes: UploadChanges): Record<string, unknown> {
  const { completionPending, awaitedBy, delivered, ...rest } = info
  const pending = changes.completionPending ?? completionPending === true
  const waiting = changes.awaitedBy ?? (isStringArray(awaitedBy) ? awaitedBy : [])
  const answered = changes.delivered ?? delivered === true
  return {
    ...rest,
    ...(changes.length === undefined ? {} : { Size: changes.length, SizeIsDeferred: false }),
    ...(pending ? { completionPending: true } : {}),
    ...(waiting.length > 0 ? { awaitedBy: [...waiting] } : {}),
    ...(answered ? { delivered: true } : {}),
  }
}

/** Our `digests`, when well-formed; anything else (an edited file) is ignored rather than trusted. */
function digestsFromInfo(info: Record<string, unknown>): { digests?: UploadDigests } {
  const digests = info['digests']
  if (!isPlainObject(digests)) return {}
  const { expected, wanted } = digests
  const validExpected = isPlainObject(expected) && Object.values(expected).every((value) => typeof value === 'string')
  return {
    digests: {
      ...(validExpected ? { expected: expected as Record<string, string> } : {}),
      ...(isStringArray(wanted) ? { wanted } : {}),
    },
  }
}

/**
 * Our `target` and `delivered`, when well-formed. A malformed target (an edited file) is left out: the
 * upload is then a plain one, never delivered with made-up headers.
 */
function targetFromInfo(info: Record<string, unknown>): { target?: UploadTarget; delivered?: true } {
  const target = info['target']
  if (!isPlainObject(target)) return {}
  const { method, uri, headers, host, scheme, remoteAddress } = target
  const validHeaders = isPlainObject(headers) && Object.values(headers).every((value) => typeof value === 'string')
  if (typeof method !== 'string' || typeof uri !== 'string' || !validHeaders || (scheme !== 'http' && scheme !== 'https')) return {}
  return {
    target: {
      method,
      uri,
      headers: headers as Record<string, string>,
      scheme,
      ...(typeof host === 'string' ? { host } : {}),
      ...(typeof remoteAddress === 'string' ? { remoteAddress } : {}),
    },
    ...(info['delivered'] === true ? { delivered: true } : {}),
  }
}

/** tusd's `IsPartial` / `IsFinal` / `PartialUploads`, plus our `partialUrls`, as an upload's role in a concatenation. */
function concatFromInfo(info: Record<string, unknown>, location: string): UploadConcat | undefined {
  if (info['IsPartial'] === true) return { kind: 'partial' }
  if (info['IsFinal'] !== true) return undefined
  const partials = info['PartialUploads']
  if (!isStringArray(partials)) throw new InvalidInfoFile(location, '`PartialUploads` of a final upload is not a list of ids')
  const urls = info['partialUrls']
  // Only a list that matches the ids can stand for them; anything else is ignored (the ids are the truth).
  const partialUrls = isStringArray(urls) && urls.length === partials.length ? urls : undefined
  return { kind: 'final', partials, ...(partialUrls === undefined ? {} : { partialUrls }) }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

function metadataFromInfo(info: Record<string, unknown>, location: string): Record<string, string | null> {
  const metaData = info['MetaData']
  // Go marshals a nil map as null; tusd never leaves one, but an empty map is the only sensible reading.
  if (metaData === null || metaData === undefined) return {}
  if (!isPlainObject(metaData)) throw new InvalidInfoFile(location, '`MetaData` is not an object')
  const listed = info['metadataKeysWithoutValue']
  const withoutValue = new Set(Array.isArray(listed) ? listed.filter((key) => typeof key === 'string') : [])
  const entries = Object.entries(metaData).map(([key, value]): [string, string | null] => {
    if (typeof value !== 'string') throw new InvalidInfoFile(location, `\`MetaData.${key}\` is not a string`)
    // Only "" can stand for a missing value: a file edited since may have given the key one.
    return [key, value === '' && withoutValue.has(key) ? null : value]
  })
  return Object.fromEntries(entries)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}
