import type { Readable } from 'node:stream'
import {
  CopyObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { dateOf, S3Calls, type BodySource, type CallOptions } from './s3-calls.js'
import { S3Multipart } from './s3-multipart.js'
import type { ObjectKeys } from './s3-keys.js'
import { isNotFound } from './s3-errors.js'
import { signPayload } from './payload-hash.js'

/** The `.part` object: its size and, when the gateway wrote it, the commit it records (see upload-layout.ts). */
export interface TailObject {
  readonly size: number
  /** The parts that count before these bytes; absent on a `.part` tusd wrote. */
  readonly committedParts?: number
  /** When the gateway last stored bytes of the upload, in milliseconds since the epoch. */
  readonly updatedAt?: number
  readonly etag?: string
  readonly lastModified?: number
}

/** What the gateway records on a `.part` object it writes. */
export interface TailRecord {
  readonly committedParts: number
  readonly updatedAt: number
}

/** An object's size and dates. */
export interface ObjectFacts {
  readonly size: number
  readonly lastModified?: number
}

/** How a bucket's calls behave: `S3Calls`' options and the store's keys. */
export interface BucketOptions extends CallOptions {
  readonly keys: ObjectKeys
}

// The user metadata of a `.part` object the gateway writes (S3 lowercases metadata names).
const COMMITTED_PARTS = 'committed-parts'
const UPDATED_AT = 'updated-at'

/**
 * The S3 calls of the store, on one bucket, each in the store's terms: keys come from object ids, a 404
 * is an answer (undefined, false) where it means "not there", every failure goes through `storeError`
 * (the signal's reason, `StoreUnavailable`, or the error itself); see `S3Calls` for timeouts and retries.
 */
export class S3Bucket {
  readonly name: string
  readonly keys: ObjectKeys
  /** The bucket's multipart uploads. */
  readonly multipart: S3Multipart
  readonly #client: S3Client
  readonly #calls: S3Calls

  constructor(options: BucketOptions) {
    this.name = options.bucket
    this.keys = options.keys
    this.#client = options.client
    this.#calls = new S3Calls(options)
    this.multipart = new S3Multipart(options)
  }

  /** The text of `.info` and its date, or undefined when there is none. */
  async readInfo(objectId: string, signal: AbortSignal): Promise<{ text: string; lastModified?: number } | undefined> {
    return this.#calls.call(signal, async (abortSignal) => {
      try {
        const output = await this.#client.send(new GetObjectCommand({ Bucket: this.name, Key: this.keys.info(objectId) }), { abortSignal })
        const text = (await output.Body?.transformToString('utf8')) ?? ''
        return { text, ...dateOf(output.LastModified) }
      } catch (error) {
        if (isNotFound(error)) return undefined
        throw error
      }
    })
  }

  /** Whether `.info` exists. */
  async hasInfo(objectId: string, signal: AbortSignal): Promise<boolean> {
    return (await this.#calls.head(this.keys.info(objectId), signal)) !== undefined
  }

  /** Writes `.info` (tusd writes it without a content type; so does this). */
  async writeInfo(objectId: string, text: string, signal: AbortSignal): Promise<void> {
    const body = Buffer.from(text, 'utf8')
    await this.#calls.call(signal, (abortSignal) =>
      this.#client.send(new PutObjectCommand({ Bucket: this.name, Key: this.keys.info(objectId), Body: body, ContentLength: body.length }), { abortSignal }),
    )
  }

  /** Removes `.info` (nothing if it is gone). */
  async deleteInfo(objectId: string, signal: AbortSignal): Promise<void> {
    await this.#calls.remove(this.keys.info(objectId), signal)
  }

  /** The `.part` object's size and record, or undefined when there is none. */
  async headTail(objectId: string, signal: AbortSignal): Promise<TailObject | undefined> {
    const head = await this.#calls.head(this.keys.tail(objectId), signal)
    if (head === undefined) return undefined
    const committedParts = wholeNumber(head.Metadata?.[COMMITTED_PARTS])
    const updatedAt = wholeNumber(head.Metadata?.[UPDATED_AT])
    return {
      size: head.ContentLength ?? 0,
      ...(committedParts === undefined ? {} : { committedParts }),
      ...(updatedAt === undefined ? {} : { updatedAt }),
      ...(head.ETag === undefined ? {} : { etag: head.ETag }),
      ...dateOf(head.LastModified),
    }
  }

  /** The bytes of `.part`, streamed; undefined when there is none. */
  async readTail(objectId: string, signal: AbortSignal): Promise<Readable | undefined> {
    return this.#calls.call(signal, async (abortSignal) => {
      try {
        const output = await this.#client.send(new GetObjectCommand({ Bucket: this.name, Key: this.keys.tail(objectId) }), { abortSignal })
        return output.Body as Readable
      } catch (error) {
        if (isNotFound(error)) return undefined
        throw error
      }
    })
  }

  /** Replaces `.part` with `body` and `record`, in one PUT: the commit of an append. */
  async writeTail(objectId: string, record: TailRecord, body: BodySource, signal: AbortSignal): Promise<void> {
    await this.#calls.streamed(signal, (abortSignal) =>
      this.#client.send(
        signPayload(
          new PutObjectCommand({
            Bucket: this.name,
            Key: this.keys.tail(objectId),
            Body: body.open(),
            ContentLength: body.size,
            Metadata: recordMetadata(record),
          }),
          body.sha256,
        ),
        { abortSignal },
      ),
    )
  }

  /** Gives the `.part` object tusd wrote the gateway's record, keeping its bytes (a copy onto itself). */
  async markTail(objectId: string, record: TailRecord, signal: AbortSignal): Promise<void> {
    const key = this.keys.tail(objectId)
    await this.#calls.call(signal, (abortSignal) =>
      this.#client.send(
        new CopyObjectCommand({
          Bucket: this.name,
          Key: key,
          CopySource: this.keys.copySource(this.name, key),
          MetadataDirective: 'REPLACE',
          Metadata: recordMetadata(record),
        }),
        { abortSignal },
      ),
    )
  }

  /** Removes `.part` (nothing if it is gone). */
  async deleteTail(objectId: string, signal: AbortSignal): Promise<void> {
    await this.#calls.remove(this.keys.tail(objectId), signal)
  }

  /** The finished upload's size and date, or undefined when there is no such object. */
  async headData(objectId: string, signal: AbortSignal): Promise<ObjectFacts | undefined> {
    const head = await this.#calls.head(this.keys.data(objectId), signal)
    return head === undefined ? undefined : { size: head.ContentLength ?? 0, ...dateOf(head.LastModified) }
  }

  /**
   * The finished upload's bytes, or `range` of them, as S3 streams them (a ranged GET; nothing is read
   * ahead). Undefined when there is no such object.
   */
  async readData(objectId: string, range: { start: number; end: number } | undefined, signal: AbortSignal): Promise<Readable | undefined> {
    return this.#calls.call(
      signal,
      async (abortSignal) => {
        try {
          const output = await this.#client.send(
            new GetObjectCommand({ Bucket: this.name, Key: this.keys.data(objectId), ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end - 1}` }) }),
            { abortSignal },
          )
          return output.Body as Readable
        } catch (error) {
          if (isNotFound(error)) return undefined
          throw error
        }
      },
      // The stream outlives the call: a timeout here would cut a long download.
      { timeout: false },
    )
  }

  /** Removes the finished upload's object (nothing if there is none). */
  async deleteData(objectId: string, signal: AbortSignal): Promise<void> {
    await this.#calls.remove(this.keys.data(objectId), signal)
  }

  /** The object id of every `.info` object under the prefix, page after page. */
  async *infoObjectIds(signal: AbortSignal): AsyncGenerator<string> {
    let token: string | undefined
    do {
      const page = await this.#calls.call(signal, (abortSignal) =>
        this.#client.send(new ListObjectsV2Command({ Bucket: this.name, Prefix: this.keys.infoPrefix, ContinuationToken: token }), { abortSignal }),
      )
      for (const object of page.Contents ?? []) {
        const objectId = object.Key === undefined ? undefined : this.keys.objectIdOfInfo(object.Key)
        if (objectId !== undefined) yield objectId
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
  }

}

function recordMetadata(record: TailRecord): Record<string, string> {
  return { [COMMITTED_PARTS]: String(record.committedParts), [UPDATED_AT]: String(record.updatedAt) }
}

function wholeNumber(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined
}
