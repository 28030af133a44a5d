import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import type { ObjectKeys } from './s3-keys.js'
import { isNotFound, isTransient, storeError } from './s3-errors.js'

/** A part of a multipart upload as S3 lists it. */
export interface ListedPart {
  readonly number: number
  readonly size: number
  readonly etag: string
  readonly lastModified?: number
}

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

/** Bytes to send, which can be read again for a retry. */
export interface BodySource {
  readonly size: number
  /** A fresh stream of the bytes (or the bytes themselves, when small). */
  open(): Readable | Uint8Array
  /** The bytes' MD5 in base64, sent as `Content-MD5` so that S3 checks them; absent when hashes are off. */
  readonly md5?: string
}

/** How a bucket's calls behave. */
export interface BucketOptions {
  readonly client: S3Client
  readonly bucket: string
  readonly keys: ObjectKeys
  /** Most time a call without a streamed body may take, in milliseconds (each attempt; the client retries). */
  readonly requestTimeoutMs: number
  /** Attempts of a call that streams its body (the client cannot retry those itself). */
  readonly maxAttempts: number
}

// The user metadata of a `.part` object the gateway writes (S3 lowercases metadata names).
const COMMITTED_PARTS = 'committed-parts'
const UPDATED_AT = 'updated-at'

/**
 * The S3 calls of the store, on one bucket, each in the store's terms: keys come from object ids, a 404
 * is an answer (undefined, false) where it means "not there", every failure goes through `storeError`
 * (the signal's reason, `StoreUnavailable`, or the error itself). Calls with a small body or none run
 * under `requestTimeoutMs` and the client's retries; calls that stream a body are retried here, reopening
 * the body for each attempt.
 */
export class S3Bucket {
  readonly name: string
  readonly keys: ObjectKeys
  readonly #client: S3Client
  readonly #options: BucketOptions

  constructor(options: BucketOptions) {
    this.name = options.bucket
    this.keys = options.keys
    this.#client = options.client
    this.#options = options
  }

  /** The text of `.info` and its date, or undefined when there is none. */
  async readInfo(objectId: string, signal: AbortSignal): Promise<{ text: string; lastModified?: number } | undefined> {
    return this.#call(signal, async (abortSignal) => {
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
    return (await this.#head(this.keys.info(objectId), signal)) !== undefined
  }

  /** Writes `.info` (tusd writes it without a content type; so does this). */
  async writeInfo(objectId: string, text: string, signal: AbortSignal): Promise<void> {
    const body = Buffer.from(text, 'utf8')
    await this.#call(signal, (abortSignal) =>
      this.#client.send(new PutObjectCommand({ Bucket: this.name, Key: this.keys.info(objectId), Body: body, ContentLength: body.length }), { abortSignal }),
    )
  }

  /** Removes `.info` (nothing if it is gone). */
  async deleteInfo(objectId: string, signal: AbortSignal): Promise<void> {
    await this.#delete(this.keys.info(objectId), signal)
  }

  /** Every part of the multipart upload, in order, page after page; undefined when it is gone (completed or aborted). */
  async listParts(objectId: string, multipartId: string, signal: AbortSignal): Promise<ListedPart[] | undefined> {
    const parts: ListedPart[] = []
    let marker: string | undefined
    for (;;) {
      const page = await this.#call(signal, async (abortSignal) => {
        try {
          return await this.#client.send(
            new ListPartsCommand({ Bucket: this.name, Key: this.keys.data(objectId), UploadId: multipartId, PartNumberMarker: marker }),
            { abortSignal },
          )
        } catch (error) {
          if (isNotFound(error)) return undefined
          throw error
        }
      })
      if (page === undefined) return undefined
      for (const part of page.Parts ?? []) {
        parts.push({ number: part.PartNumber ?? 0, size: part.Size ?? 0, etag: part.ETag ?? '', ...dateOf(part.LastModified) })
      }
      if (page.IsTruncated !== true || page.NextPartNumberMarker === undefined || page.NextPartNumberMarker === marker) return parts
      marker = page.NextPartNumberMarker
    }
  }

  /** The `.part` object's size and record, or undefined when there is none. */
  async headTail(objectId: string, signal: AbortSignal): Promise<TailObject | undefined> {
    const head = await this.#head(this.keys.tail(objectId), signal)
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
    return this.#call(signal, async (abortSignal) => {
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
    await this.#streamed(signal, (abortSignal) =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.name,
          Key: this.keys.tail(objectId),
          Body: body.open(),
          ContentLength: body.size,
          ...(body.md5 === undefined ? {} : { ContentMD5: body.md5 }),
          Metadata: recordMetadata(record),
        }),
        { abortSignal },
      ),
    )
  }

  /** Gives the `.part` object tusd wrote the gateway's record, keeping its bytes (a copy onto itself). */
  async markTail(objectId: string, record: TailRecord, signal: AbortSignal): Promise<void> {
    const key = this.keys.tail(objectId)
    await this.#call(signal, (abortSignal) =>
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
    await this.#delete(this.keys.tail(objectId), signal)
  }

  /** Starts the multipart upload of `objectId` and resolves with its id. */
  async createMultipart(objectId: string, metadata: Record<string, string>, contentType: string | undefined, signal: AbortSignal): Promise<string> {
    const output = await this.#call(signal, (abortSignal) =>
      this.#client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.name,
          Key: this.keys.data(objectId),
          Metadata: metadata,
          ...(contentType === undefined ? {} : { ContentType: contentType }),
        }),
        { abortSignal },
      ),
    )
    if (output.UploadId === undefined || output.UploadId === '') throw new Error('S3 started a multipart upload without an id')
    return output.UploadId
  }

  /** Uploads part `number` and resolves with its ETag. */
  async uploadPart(objectId: string, multipartId: string, number: number, body: BodySource, signal: AbortSignal): Promise<string> {
    const output = await this.#streamed(signal, (abortSignal) =>
      this.#client.send(
        new UploadPartCommand({
          Bucket: this.name,
          Key: this.keys.data(objectId),
          UploadId: multipartId,
          PartNumber: number,
          Body: body.open(),
          ContentLength: body.size,
          ...(body.md5 === undefined ? {} : { ContentMD5: body.md5 }),
        }),
        { abortSignal },
      ),
    )
    return output.ETag ?? ''
  }

  /** Makes part `number` a copy of the finished upload `sourceObjectId` (or of bytes `range` of it); resolves with its ETag. */
  async copyPart(objectId: string, multipartId: string, number: number, sourceObjectId: string, range: { start: number; end: number } | undefined, signal: AbortSignal): Promise<string> {
    const output = await this.#call(signal, (abortSignal) =>
      this.#client.send(
        new UploadPartCopyCommand({
          Bucket: this.name,
          Key: this.keys.data(objectId),
          UploadId: multipartId,
          PartNumber: number,
          CopySource: this.keys.copySource(this.name, this.keys.data(sourceObjectId)),
          ...(range === undefined ? {} : { CopySourceRange: `bytes=${range.start}-${range.end - 1}` }),
        }),
        { abortSignal },
      ),
    )
    return output.CopyPartResult?.ETag ?? ''
  }

  /**
   * Completes the multipart upload from `parts`. radosgw answers with an empty ETag; nothing here needs one.
   * Copies and large uploads take S3 a while: no timeout of ours applies.
   */
  async complete(objectId: string, multipartId: string, parts: readonly { number: number; etag: string }[], signal: AbortSignal): Promise<void> {
    await this.#call(
      signal,
      (abortSignal) =>
        this.#client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.name,
            Key: this.keys.data(objectId),
            UploadId: multipartId,
            MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.number, ETag: part.etag })) },
          }),
          { abortSignal },
        ),
      { timeout: false },
    )
  }

  /** Aborts the multipart upload; one that is gone already is fine. */
  async abort(objectId: string, multipartId: string, signal: AbortSignal): Promise<void> {
    await this.#call(signal, async (abortSignal) => {
      try {
        await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.name, Key: this.keys.data(objectId), UploadId: multipartId }), { abortSignal })
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
    })
  }

  /** The finished upload's size and date, or undefined when there is no such object. */
  async headData(objectId: string, signal: AbortSignal): Promise<ObjectFacts | undefined> {
    const head = await this.#head(this.keys.data(objectId), signal)
    return head === undefined ? undefined : { size: head.ContentLength ?? 0, ...dateOf(head.LastModified) }
  }

  /**
   * The finished upload's bytes, or `range` of them, as S3 streams them (a ranged GET; nothing is read
   * ahead). Undefined when there is no such object.
   */
  async readData(objectId: string, range: { start: number; end: number } | undefined, signal: AbortSignal): Promise<Readable | undefined> {
    return this.#call(
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
    await this.#delete(this.keys.data(objectId), signal)
  }

  /** The object id of every `.info` object under the prefix, page after page. */
  async *infoObjectIds(signal: AbortSignal): AsyncGenerator<string> {
    let token: string | undefined
    do {
      const page = await this.#call(signal, (abortSignal) =>
        this.#client.send(new ListObjectsV2Command({ Bucket: this.name, Prefix: this.keys.infoPrefix, ContinuationToken: token }), { abortSignal }),
      )
      for (const object of page.Contents ?? []) {
        const objectId = object.Key === undefined ? undefined : this.keys.objectIdOfInfo(object.Key)
        if (objectId !== undefined) yield objectId
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
  }

  /** Every multipart upload in progress under the prefix, page after page. */
  async *multipartUploads(signal: AbortSignal): AsyncGenerator<{ objectId: string; multipartId: string; initiated?: number }> {
    let keyMarker: string | undefined
    let uploadIdMarker: string | undefined
    for (;;) {
      const page = await this.#call(signal, (abortSignal) =>
        this.#client.send(
          new ListMultipartUploadsCommand({ Bucket: this.name, Prefix: this.keys.dataPrefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
          { abortSignal },
        ),
      )
      for (const upload of page.Uploads ?? []) {
        const objectId = upload.Key === undefined ? undefined : this.keys.objectIdOfData(upload.Key)
        if (objectId === undefined || upload.UploadId === undefined) continue
        yield { objectId, multipartId: upload.UploadId, ...(upload.Initiated === undefined ? {} : { initiated: upload.Initiated.getTime() }) }
      }
      if (page.IsTruncated !== true) return
      keyMarker = page.NextKeyMarker
      uploadIdMarker = page.NextUploadIdMarker
      if (keyMarker === undefined) return
    }
  }

  async #head(key: string, signal: AbortSignal) {
    return this.#call(signal, async (abortSignal) => {
      try {
        return await this.#client.send(new HeadObjectCommand({ Bucket: this.name, Key: key }), { abortSignal })
      } catch (error) {
        if (isNotFound(error)) return undefined
        throw error
      }
    })
  }

  async #delete(key: string, signal: AbortSignal): Promise<void> {
    // One key at a time: DeleteObjects needs a checksum that some S3-compatible servers refuse.
    await this.#call(signal, async (abortSignal) => {
      try {
        await this.#client.send(new DeleteObjectCommand({ Bucket: this.name, Key: key }), { abortSignal })
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
    })
  }

  /** A call with a small body or none: the client retries it, and the whole call, retries included, runs under the timeout. */
  async #call<T>(signal: AbortSignal, call: (abortSignal: AbortSignal) => Promise<T>, options: { timeout?: boolean } = {}): Promise<T> {
    signal.throwIfAborted()
    const abortSignal = options.timeout === false ? signal : AbortSignal.any([signal, AbortSignal.timeout(this.#options.requestTimeoutMs)])
    try {
      return await call(abortSignal)
    } catch (error) {
      throw storeError(error, signal)
    }
  }

  /**
   * A call that streams its body: tried up to `maxAttempts` times while it fails transiently (the body
   * reopened each time), with a short backoff; the socket's idle timeout stops a stalled attempt.
   */
  async #streamed<T>(signal: AbortSignal, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted()
      try {
        return await call(signal)
      } catch (error) {
        if (signal.aborted || attempt >= this.#options.maxAttempts || !isTransient(error)) throw storeError(error, signal)
        await backoff(attempt, signal)
      }
    }
  }
}

/** Waits 100 ms, 200 ms, 400 ms ... (at most 2 s, with jitter) before another attempt; rejects when `signal` aborts. */
function backoff(attempt: number, signal: AbortSignal): Promise<void> {
  const ms = Math.min(2000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      signal.removeEventListener('abort', aborted)
      resolve()
    }
    function aborted(): void {
      clearTimeout(timer)
      reject(signal.reason)
    }
    signal.addEventListener('abort', aborted, { once: true })
  })
}

function recordMetadata(record: TailRecord): Record<string, string> {
  return { [COMMITTED_PARTS]: String(record.committedParts), [UPDATED_AT]: String(record.updatedAt) }
}

function wholeNumber(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined
}

function dateOf(date: Date | undefined): { lastModified?: number } {
  return date === undefined || Number.isNaN(date.getTime()) ? {} : { lastModified: date.getTime() }
}
