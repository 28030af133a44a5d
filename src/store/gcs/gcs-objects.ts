import type { TusdStorage } from '../tusd-info.js'

/** What the store needs to know of one GCS object, from a listing or an upload's answer. */
export interface ObjectInfo {
  readonly name: string
  readonly size: number
  /** The object's generation: compose sources are pinned to it, so a compose takes exactly what was listed. */
  readonly generation: string
  /** The CRC32C GCS computed, as it reports it (base64); absent only for objects GCS gives none. */
  readonly crc32c?: string
  /** When this generation was written, in milliseconds since the epoch. */
  readonly updatedAt: number
}

/**
 * The object resource GCS answers (a listing item, an upload's or a compose's answer) as an `ObjectInfo`.
 * Throws `TypeError` when it lacks a name, size or generation.
 */
export function objectInfo(resource: Readonly<Record<string, unknown>>): ObjectInfo {
  const { name, size, generation, crc32c, updated, timeCreated } = resource
  const bytes = Number(size)
  if (typeof name !== 'string' || !Number.isSafeInteger(bytes) || bytes < 0 || (typeof generation !== 'string' && typeof generation !== 'number')) {
    throw new TypeError(`not a GCS object resource: ${JSON.stringify(resource).slice(0, 200)}`)
  }
  const time = Date.parse(String(updated ?? timeCreated ?? ''))
  return {
    name,
    size: bytes,
    generation: String(generation),
    ...(typeof crc32c === 'string' ? { crc32c } : {}),
    updatedAt: Number.isFinite(time) ? time : Date.now(),
  }
}

/**
 * The objects of one upload in tusd's gcsstore layout, for the key `<prefix>/<id>`:
 * `<key>.info` (tusd's FileInfo JSON), chunk objects `<key>_<n>` (n from 0, in order), the finished
 * upload `<key>` (the chunks composed), and `<key>_tmp_<level>_<i>` while a compose of more than 32
 * sources is under way.
 */
export interface UploadObjects {
  readonly info?: ObjectInfo
  readonly final?: ObjectInfo
  /** In index order. */
  readonly chunks: readonly Chunk[]
  readonly temporaries: readonly ObjectInfo[]
}

/** A chunk object and its index `n` in `<key>_<n>`. */
export interface Chunk extends ObjectInfo {
  readonly index: number
}

/** The names of one upload's objects. */
export class UploadNames {
  constructor(readonly key: string) {}

  /** tusd's gcsstore `Storage` for these objects in `bucket` (Go sorts the map's keys): what `.info` and hooks carry. */
  storage(bucket: string): TusdStorage {
    return { Bucket: bucket, Key: this.key, Type: 'gcsstore' }
  }

  get info(): string {
    return `${this.key}.info`
  }

  get final(): string {
    return this.key
  }

  chunk(index: number): string {
    return `${this.key}_${index}`
  }

  /** tusd's name for the `index`th intermediate object of compose level `level`. */
  temporary(level: number, index: number): string {
    return `${this.key}_tmp_${level}_${index}`
  }

  /**
   * Sorts the objects of a listing by prefix `key` into this upload's. Objects of other uploads whose key
   * starts with this one (`<key>-2_0`) are left out, as is anything else that is not of the layout.
   */
  classify(listing: Iterable<ObjectInfo>): UploadObjects {
    let info: ObjectInfo | undefined
    let final: ObjectInfo | undefined
    const chunks: Chunk[] = []
    const temporaries: ObjectInfo[] = []
    for (const object of listing) {
      const kind = this.kindOf(object.name)
      if (kind === 'info') info = object
      else if (kind === 'final') final = object
      else if (kind === 'temporary') temporaries.push(object)
      else if (kind !== undefined) chunks.push({ ...object, index: kind.chunk })
    }
    chunks.sort((a, b) => a.index - b.index)
    return { ...(info === undefined ? {} : { info }), ...(final === undefined ? {} : { final }), chunks, temporaries }
  }

  /** What `name` is to this upload, if anything. */
  kindOf(name: string): 'info' | 'final' | 'temporary' | { readonly chunk: number } | undefined {
    if (!name.startsWith(this.key)) return undefined
    const rest = name.slice(this.key.length)
    if (rest === '') return 'final'
    if (rest === '.info') return 'info'
    if (/^_tmp_\d+_\d+$/.test(rest)) return 'temporary'
    const chunk = /^_(\d{1,15})$/.exec(rest)
    return chunk === null ? undefined : { chunk: Number(chunk[1]) }
  }
}
