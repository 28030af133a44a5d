import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { dateOf, S3Calls, type BodySource, type CallOptions } from './s3-calls.js'
import { isNotFound } from './s3-errors.js'
import { signPayload } from './payload-hash.js'
import type { ObjectKeys } from './s3-keys.js'

/** A part of a multipart upload as S3 lists it. */
export interface ListedPart {
  readonly number: number
  readonly size: number
  readonly etag: string
  readonly lastModified?: number
}

/**
 * The multipart uploads of a bucket, in the store's terms (see `S3Bucket`): one per unfinished upload, on
 * its data key; parts uploaded, copied, listed; completed at finish, aborted at termination.
 */
export class S3Multipart {
  readonly #bucket: string
  readonly #keys: ObjectKeys
  readonly #client: S3Client
  readonly #calls: S3Calls

  constructor(options: CallOptions & { readonly keys: ObjectKeys }) {
    this.#bucket = options.bucket
    this.#keys = options.keys
    this.#client = options.client
    this.#calls = new S3Calls(options)
  }

  /** Every part of the multipart upload, in order, page after page; undefined when it is gone (completed or aborted). */
  async listParts(objectId: string, multipartId: string, signal: AbortSignal): Promise<ListedPart[] | undefined> {
    const parts: ListedPart[] = []
    let marker: string | undefined
    for (;;) {
      const page = await this.#calls.call(signal, async (abortSignal) => {
        try {
          return await this.#client.send(
            new ListPartsCommand({ Bucket: this.#bucket, Key: this.#keys.data(objectId), UploadId: multipartId, PartNumberMarker: marker }),
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

  /** Starts the multipart upload of `objectId` and resolves with its id. */
  async createMultipart(objectId: string, metadata: Record<string, string>, contentType: string | undefined, signal: AbortSignal): Promise<string> {
    const output = await this.#calls.call(signal, (abortSignal) =>
      this.#client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: this.#keys.data(objectId),
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
    const output = await this.#calls.streamed(signal, (abortSignal) =>
      this.#client.send(
        signPayload(
          new UploadPartCommand({
            Bucket: this.#bucket,
            Key: this.#keys.data(objectId),
            UploadId: multipartId,
            PartNumber: number,
            Body: body.open(),
            ContentLength: body.size,
          }),
          body.sha256,
        ),
        { abortSignal },
      ),
    )
    return output.ETag ?? ''
  }

  /** Makes part `number` a copy of the finished upload `sourceObjectId` (or of bytes `range` of it); resolves with its ETag. */
  async copyPart(objectId: string, multipartId: string, number: number, sourceObjectId: string, range: { start: number; end: number } | undefined, signal: AbortSignal): Promise<string> {
    const output = await this.#calls.call(signal, (abortSignal) =>
      this.#client.send(
        new UploadPartCopyCommand({
          Bucket: this.#bucket,
          Key: this.#keys.data(objectId),
          UploadId: multipartId,
          PartNumber: number,
          CopySource: this.#keys.copySource(this.#bucket, this.#keys.data(sourceObjectId)),
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
    await this.#calls.call(
      signal,
      (abortSignal) =>
        this.#client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.#bucket,
            Key: this.#keys.data(objectId),
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
    await this.#calls.call(signal, async (abortSignal) => {
      try {
        await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: this.#keys.data(objectId), UploadId: multipartId }), { abortSignal })
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
    })
  }

  /** Every multipart upload in progress under the prefix, page after page. */
  async *multipartUploads(signal: AbortSignal): AsyncGenerator<{ objectId: string; multipartId: string; initiated?: number }> {
    let keyMarker: string | undefined
    let uploadIdMarker: string | undefined
    for (;;) {
      const page = await this.#calls.call(signal, (abortSignal) =>
        this.#client.send(
          new ListMultipartUploadsCommand({ Bucket: this.#bucket, Prefix: this.#keys.dataPrefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
          { abortSignal },
        ),
      )
      for (const upload of page.Uploads ?? []) {
        const objectId = upload.Key === undefined ? undefined : this.#keys.objectIdOfData(upload.Key)
        if (objectId === undefined || upload.UploadId === undefined) continue
        yield { objectId, multipartId: upload.UploadId, ...(upload.Initiated === undefined ? {} : { initiated: upload.Initiated.getTime() }) }
      }
      if (page.IsTruncated !== true) return
      keyMarker = page.NextKeyMarker
      uploadIdMarker = page.NextUploadIdMarker
      if (keyMarker === undefined) return
    }
  }
}
