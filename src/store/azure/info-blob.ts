import type { BlockBlobClient } from '@azure/storage-blob'
import { UploadNotFound } from '../../model/errors.js'
import { parseInfo } from '../tusd-info.js'
import { isConditionFailed, isNotFound, isTaken } from './azure-errors.js'

/** An `.info` blob as read: tusd's JSON, its ETag, and when the upload was last written. */
export interface InfoRead {
  readonly info: Record<string, unknown>
  readonly etag: string | undefined
  /** Milliseconds since the epoch: ours in the blob's metadata, else the blob's Last-Modified (tusd writes no metadata). */
  readonly updatedAt: number | undefined
}

// Blob metadata of ours on `.info`: when bytes were last written, in milliseconds (Last-Modified has seconds).
const UPDATED_AT = 'updatedat'

/** An upload whose id is taken already: a creation refuses to overwrite it. */
export class UploadIdTaken extends Error {
  constructor(readonly id: string, options?: { cause?: unknown }) {
    super(`an upload with the id ${id} exists already`, options)
    this.name = 'UploadIdTaken'
  }
}

/**
 * An upload's `<prefix><id>.info` block blob: tusd's FileInfo JSON, written whole (as tusd's `UploadStream`
 * does) and, unlike tusd, only ever over the version this handle knows, so that a handle of a terminated
 * upload cannot bring it back. Its metadata carries `updatedat`: the ms of the upload's last write.
 */
export class InfoBlob {
  readonly #client: BlockBlobClient
  readonly #id: string

  constructor(client: BlockBlobClient, id: string) {
    this.#client = client
    this.#id = id
  }

  /** Where it is, for messages: `<container>/<name>`. */
  get location(): string {
    return `${this.#client.containerName}/${this.#client.name}`
  }

  /** Reads and parses it. Throws `UploadNotFound`, `InvalidInfoFile`, and Azure's failures. */
  async read(signal: AbortSignal): Promise<InfoRead> {
    let text: string
    let response
    try {
      response = await this.#client.download(0, undefined, { abortSignal: signal })
      text = await readText(response.readableStreamBody)
    } catch (error) {
      throw isNotFound(error) ? new UploadNotFound(this.#id) : error
    }
    const stamped = Number(response.metadata?.[UPDATED_AT])
    const updatedAt = Number.isSafeInteger(stamped) && stamped > 0 ? stamped : response.lastModified?.getTime()
    return { info: parseInfo(text, this.location), etag: response.etag, updatedAt }
  }

  /** Writes it for a new upload; resolves with its ETag. Throws `UploadIdTaken` if it exists, and Azure's failures. */
  async create(info: object, updatedAt: number, signal: AbortSignal): Promise<string | undefined> {
    try {
      return await this.#upload(info, updatedAt, { ifNoneMatch: '*' }, signal)
    } catch (error) {
      throw isTaken(error) ? new UploadIdTaken(this.#id, { cause: error }) : error
    }
  }

  /**
   * Replaces it, if it is still the version `etag` names (else, if it still exists, the one there now: the
   * handle's view wins, as in the file store); resolves with the new ETag. Throws `UploadNotFound` once it is gone.
   */
  async write(info: object, updatedAt: number | undefined, etag: string | undefined, signal: AbortSignal): Promise<string | undefined> {
    try {
      return await this.#upload(info, updatedAt, { ifMatch: etag ?? '*' }, signal)
    } catch (error) {
      if (!isConditionFailed(error)) throw error
    }
    let current: string | undefined
    try {
      current = (await this.#client.getProperties({ abortSignal: signal })).etag
    } catch (error) {
      throw isNotFound(error) ? new UploadNotFound(this.#id) : error
    }
    try {
      return await this.#upload(info, updatedAt, { ifMatch: current ?? '*' }, signal)
    } catch (error) {
      // Gone (or changed once more) in between: only a termination does that to an upload under its lock.
      throw isConditionFailed(error) ? new UploadNotFound(this.#id) : error
    }
  }

  /** Records `updatedAt` (the upload's last write) in its metadata; resolves with the new ETag. Throws `UploadNotFound`. */
  async touch(updatedAt: number, signal: AbortSignal): Promise<string | undefined> {
    try {
      return (await this.#client.setMetadata({ [UPDATED_AT]: String(updatedAt) }, { abortSignal: signal })).etag
    } catch (error) {
      throw isNotFound(error) ? new UploadNotFound(this.#id) : error
    }
  }

  /** Resolves if it exists. Throws `UploadNotFound` if not. */
  async exists(signal: AbortSignal): Promise<void> {
    try {
      await this.#client.getProperties({ abortSignal: signal })
    } catch (error) {
      throw isNotFound(error) ? new UploadNotFound(this.#id) : error
    }
  }

  /** Removes it. Throws `UploadNotFound` if it is gone already. */
  async delete(signal: AbortSignal): Promise<void> {
    try {
      await this.#client.delete({ abortSignal: signal })
    } catch (error) {
      throw isNotFound(error) ? new UploadNotFound(this.#id) : error
    }
  }

  async #upload(info: object, updatedAt: number | undefined, conditions: { ifMatch?: string; ifNoneMatch?: string }, signal: AbortSignal) {
    const text = JSON.stringify(info)
    const response = await this.#client.upload(text, Buffer.byteLength(text), {
      conditions,
      metadata: updatedAt === undefined ? {} : { [UPDATED_AT]: String(updatedAt) },
      blobHTTPHeaders: { blobContentType: 'application/json' },
      abortSignal: signal,
    })
    return response.etag
  }
}

async function readText(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (stream === undefined) return ''
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  return Buffer.concat(chunks).toString('utf8')
}
