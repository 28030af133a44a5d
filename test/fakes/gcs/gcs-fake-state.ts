/**
 * The in-memory buckets and objects of the GCS fake (a fake of the GCS JSON API for tests; not GCS): object
 * generations, preconditions, listing and compose, with the answers GCS gives when something is wrong.
 */
import { createHash } from 'node:crypto'
import { crc32c } from './gcs-fake-crc32c.js'

/** An error the fake answers in GCS's JSON error format, so the SDK surfaces `code` (the status). */
export class FakeGcsError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message)
  }

  /** The body GCS sends with an error: `{ error: { code, message, errors: [{ message, domain, reason }] } }`. */
  body(): unknown {
    const { status: code, message, reason } = this
    return { error: { code, message, errors: [{ message, domain: 'global', reason }] } }
  }
}

/** A 400 `invalid` answer with GCS's wording passed in. */
export function invalid(message: string): FakeGcsError {
  return new FakeGcsError(400, 'invalid', message)
}

function noSuchObject(bucket: string, name: string): FakeGcsError {
  return new FakeGcsError(404, 'notFound', `No such object: ${bucket}/${name}`)
}

function conditionNotMet(): FakeGcsError {
  return new FakeGcsError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.')
}

/** One stored object. Its bytes and hashes never change; a new write makes a new object (a new generation). */
export interface FakeObject {
  readonly bucket: string
  readonly name: string
  readonly data: Buffer
  readonly generation: number
  readonly metageneration: number
  readonly contentType: string
  /** Custom metadata (string values only, as in GCS). */
  readonly metadata?: Readonly<Record<string, string>>
  /** Set on composite objects only; GCS gives them a CRC32C but no MD5. */
  readonly componentCount?: number
  readonly md5Hash: string
  readonly crc32c: string
  readonly timeCreated: string
  readonly updated: string
}

/** What a writer sets on a new object. */
export interface ObjectInit {
  readonly contentType?: string
  readonly metadata?: Readonly<Record<string, string>>
  readonly componentCount?: number
}

/** The `ifGenerationMatch` / `ifMetagenerationMatch` query parameters of one request. */
export interface Preconditions {
  readonly ifGenerationMatch?: number
  readonly ifMetagenerationMatch?: number
}

/** A metadata PATCH body: `metadata` keys merge (`null` removes one), other fields replace. */
export interface ObjectPatch {
  readonly contentType?: string
  readonly metadata?: Readonly<Record<string, string | null>> | null
}

/** One page of a listing, shaped as GCS's `storage#objects` answer (empty arrays left out, as GCS does). */
export interface ListPage {
  readonly items: FakeObject[]
  readonly prefixes: string[]
  readonly nextPageToken?: string
}

/** GCS's limit on the sources of one compose request. */
export const MAX_COMPOSE_SOURCES = 32

const maxObjectNameBytes = 1024

/** Base64 of the big-endian CRC32C (Castagnoli), as GCS reports `crc32c`. */
export function crc32cOf(data: Buffer): string {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32BE(crc32c(data))
  return bytes.toString('base64')
}

/** GCS sorts names by their UTF-8 bytes, which differs from JS string order for characters beyond U+FFFF. */
function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/** Buckets and objects held in memory; every method throws {@link FakeGcsError} where GCS answers an error. */
export class FakeGcsState {
  private readonly buckets = new Map<string, { timeCreated: string; objects: Map<string, FakeObject> }>()
  // GCS generations are microsecond timestamps; a counter that starts at one keeps them unique and increasing.
  private lastGeneration = Date.now() * 1000

  /** Creates a bucket; throws 409 when it exists. */
  createBucket(name: string): unknown {
    if (!/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(name)) throw invalid(`Invalid bucket name: '${name}'`)
    if (this.buckets.has(name)) {
      throw new FakeGcsError(409, 'conflict', 'Your previous request to create the named bucket succeeded and you already own it.')
    }
    this.buckets.set(name, { timeCreated: new Date().toISOString(), objects: new Map() })
    return this.bucketResource(name)
  }

  /** The `storage#bucket` resource; throws 404 when the bucket does not exist. */
  bucketResource(name: string): unknown {
    const { timeCreated } = this.bucket(name)
    return {
      kind: 'storage#bucket', id: name, name, projectNumber: '0', metageneration: '1', location: 'US',
      storageClass: 'STANDARD', timeCreated, updated: timeCreated,
    }
  }

  /** The object, after checking it exists (404) and then `pre` (412). */
  get(bucket: string, name: string, pre: Preconditions = {}): FakeObject {
    const object = this.bucket(bucket).objects.get(name)
    if (object === undefined) throw noSuchObject(bucket, name)
    checkPreconditions(object, pre)
    return object
  }

  /** The object, or undefined: for test assertions, never for answers. */
  peek(bucket: string, name: string): FakeObject | undefined {
    return this.buckets.get(bucket)?.objects.get(name)
  }

  /** Object names of a bucket in GCS's listing order. */
  names(bucket: string): string[] {
    return [...this.bucket(bucket).objects.keys()].sort(byUtf8)
  }

  /** Writes a new generation of `name` if `pre` holds against the current one (`ifGenerationMatch: 0`: must not exist). */
  put(bucket: string, name: string, data: Buffer, init: ObjectInit, pre: Preconditions): FakeObject {
    this.checkPut(bucket, name, pre)
    const now = new Date().toISOString()
    const object: FakeObject = {
      bucket, name, data, generation: ++this.lastGeneration, metageneration: 1,
      contentType: init.contentType ?? 'application/octet-stream',
      ...(init.metadata && { metadata: { ...init.metadata } }),
      ...(init.componentCount !== undefined && { componentCount: init.componentCount }),
      md5Hash: createHash('md5').update(data).digest('base64'), crc32c: crc32cOf(data),
      timeCreated: now, updated: now,
    }
    this.bucket(bucket).objects.set(name, object)
    return object
  }

  /** Throws what {@link put} would throw (404 bucket, 400 name, 412 preconditions) without writing. */
  checkPut(bucket: string, name: string, pre: Preconditions): void {
    const objects = this.bucket(bucket).objects
    if (name === '' || name === '.' || name === '..' || Buffer.byteLength(name) > maxObjectNameBytes || /[\r\n]/.test(name)) {
      throw invalid(`The specified object name is not valid: '${name}'`)
    }
    checkPreconditions(objects.get(name), pre)
  }

  /** Patches metadata; a new metageneration of the same generation. */
  patch(bucket: string, name: string, patch: ObjectPatch, pre: Preconditions): FakeObject {
    const current = this.get(bucket, name, pre)
    const metadata = patch.metadata === null ? {} : { ...current.metadata }
    for (const [key, value] of Object.entries(patch.metadata ?? {})) {
      if (value === null) delete metadata[key]
      else metadata[key] = String(value)
    }
    const next: FakeObject = {
      ...current, metageneration: current.metageneration + 1, contentType: patch.contentType ?? current.contentType,
      metadata, updated: new Date().toISOString(),
    }
    this.bucket(bucket).objects.set(name, next)
    return next
  }

  /** Deletes the object: 404 when missing, 412 when `pre` fails. */
  delete(bucket: string, name: string, pre: Preconditions): void {
    this.get(bucket, name, pre)
    this.bucket(bucket).objects.delete(name)
  }

  /**
   * Lists names starting with `prefix`. With a delimiter, names holding it after the prefix fold into one
   * `prefixes` entry; `maxResults` counts items and prefixes together, as GCS does.
   */
  list(bucket: string, query: { prefix: string; delimiter: string; maxResults: number; pageToken?: string }): ListPage {
    const { prefix, delimiter, maxResults } = query
    const after = query.pageToken === undefined ? undefined : Buffer.from(query.pageToken, 'base64url').toString()
    const items: FakeObject[] = []
    const prefixes: string[] = []
    let last: string | undefined
    for (const name of this.names(bucket).filter((n) => n.startsWith(prefix))) {
      const cut = delimiter === '' ? -1 : name.indexOf(delimiter, prefix.length)
      // A folded prefix sorts before every name under it, so "entries after the token" resumes exactly.
      const entry = cut < 0 ? name : name.slice(0, cut + delimiter.length)
      if (entry === last || (after !== undefined && byUtf8(entry, after) <= 0)) continue
      if (items.length + prefixes.length === maxResults) {
        return { items, prefixes, nextPageToken: Buffer.from(last ?? '').toString('base64url') }
      }
      if (cut < 0) items.push(this.get(bucket, name))
      else prefixes.push(entry)
      last = entry
    }
    return { items, prefixes }
  }

  /** Composes up to 32 sources of one bucket into `destination`, in order; 400 beyond 32, 404 for a missing source. */
  compose(
    bucket: string, destination: string, sources: ReadonlyArray<{ name: string; generation?: number }>,
    init: ObjectInit, pre: Preconditions,
  ): FakeObject {
    if (sources.length === 0) throw new FakeGcsError(400, 'required', 'Required')
    if (sources.length > MAX_COMPOSE_SOURCES) {
      throw invalid(`The number of source components provided (${sources.length}) exceeds the maximum (${MAX_COMPOSE_SOURCES})`)
    }
    const parts = sources.map(({ name, generation }) => {
      const object = this.get(bucket, name)
      if (generation !== undefined && object.generation !== generation) throw noSuchObject(bucket, name)
      return object
    })
    const componentCount = parts.reduce((sum, part) => sum + (part.componentCount ?? 1), 0)
    return this.put(bucket, destination, Buffer.concat(parts.map((part) => part.data)), { ...init, componentCount }, pre)
  }

  private bucket(name: string): { timeCreated: string; objects: Map<string, FakeObject> } {
    const bucket = this.buckets.get(name)
    if (bucket === undefined) throw new FakeGcsError(404, 'notFound', 'The specified bucket does not exist.')
    return bucket
  }
}

/** GCS semantics: a generation precondition on a missing object holds only for 0; a metageneration one never. */
function checkPreconditions(current: FakeObject | undefined, pre: Preconditions): void {
  const { ifGenerationMatch, ifMetagenerationMatch } = pre
  if (ifGenerationMatch !== undefined && (current?.generation ?? 0) !== ifGenerationMatch) throw conditionNotMet()
  if (ifMetagenerationMatch !== undefined && current?.metageneration !== ifMetagenerationMatch) throw conditionNotMet()
}

/** The `storage#object` resource GCS answers: numbers as strings, hashes in base64, no MD5 on composite objects. */
export function objectResource(object: FakeObject): Record<string, unknown> {
  const { bucket, name, generation, metageneration, data, componentCount, md5Hash, crc32c } = object
  return {
    kind: 'storage#object', id: `${bucket}/${name}/${generation}`, name, bucket,
    generation: String(generation), metageneration: String(metageneration), contentType: object.contentType,
    storageClass: 'STANDARD', size: String(data.length),
    ...(componentCount === undefined ? { md5Hash } : { componentCount }),
    crc32c, etag: `${generation}/${metageneration}`, timeCreated: object.timeCreated, updated: object.updated,
    ...(object.metadata && { metadata: object.metadata }),
  }
}
