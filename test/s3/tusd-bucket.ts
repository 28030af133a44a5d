import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { pseudoRandomBytes } from '../../src/store/conformance/support.js'

/** One upload of the fixture: its id, its bytes (all of them, sent or still to send) and how many are stored. */
export interface TusdUpload {
  readonly id: string
  readonly data: Buffer
  readonly stored: number
  /** The `.info` text as written, which must stay as tusd wrote it. */
  readonly info: string
}

/** The uploads `writeTusdBucket` leaves in a bucket. */
export interface TusdBucket {
  /** Two parts and a `.part` tail stored, of a known length: to be resumed. */
  readonly unfinished: TusdUpload
  /** The same shape again, for the second protocol to resume. */
  readonly unfinishedDraft: TusdUpload
  /** Complete: the multipart upload completed, `.info` kept, no `.part`. */
  readonly finished: TusdUpload
  /** Created with a deferred length: one part and a `.part` tail stored. */
  readonly deferred: TusdUpload
  /** The object prefix (tusd's `-s3-object-prefix`). */
  readonly prefix: string
}

/**
 * Writes uploads into `bucket` exactly as tusd v2's s3store does (tusd:pkg/s3store/s3store.go, as the README's
 * S3 section describes), object by object, with tusd's part rules for `-s3-part-size 128KiB -s3-min-part-size 64KiB`:
 * `<prefix>/<objectId>.info` holds `json.Marshal(FileInfo)` (tusd's field order, `Offset` 0, `Storage`
 * `{Bucket, Key, Type: "s3store"}`), written without a content type; the bytes go to the multipart upload of
 * `<prefix>/<objectId>`, created with every metadata pair as object metadata and `filetype` as its
 * Content-Type, in parts numbered from 1; the bytes after the last part are the object `<prefix>/<objectId>.part`,
 * without metadata. The upload id is `<objectId>+<multipartId>`.
 */
export async function writeTusdBucket(s3: S3Client, bucket: string, prefix: string): Promise<TusdBucket> {
  const PART = 128 * 1024
  const write = async (
    objectId: string,
    options: { data: Buffer; parts: number[]; tail: number; deferred?: boolean; complete?: boolean; metadata: Record<string, string> },
  ): Promise<TusdUpload> => {
    const Key = `${prefix}/${objectId}`
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: bucket,
        Key,
        Metadata: options.metadata,
        ...(options.metadata['filetype'] === undefined ? {} : { ContentType: options.metadata['filetype'] }),
      }),
    )
    const id = `${objectId}+${UploadId}`
    // tusd's FileInfo, marshalled by Go: fields in declaration order, map keys sorted, no spaces.
    const metaData = Object.fromEntries(Object.entries(options.metadata).sort(([a], [b]) => (a < b ? -1 : 1)))
    const info = JSON.stringify({
      ID: id,
      Size: options.deferred === true ? 0 : options.data.length,
      SizeIsDeferred: options.deferred === true,
      Offset: 0,
      MetaData: metaData,
      IsPartial: false,
      IsFinal: false,
      PartialUploads: null,
      Storage: { Bucket: bucket, Key, Type: 's3store' },
    })
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${Key}.info`, Body: info }))
    let at = 0
    const etags: { PartNumber: number; ETag: string | undefined }[] = []
    for (const [index, size] of options.parts.entries()) {
      const Body = options.data.subarray(at, at + size)
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: index + 1, Body, ContentLength: Body.length }))
      etags.push({ PartNumber: index + 1, ETag })
      at += size
    }
    if (options.tail > 0) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${Key}.part`, Body: options.data.subarray(at, at + options.tail) }))
    if (options.complete === true) {
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: etags } }))
    }
    return { id, data: options.data, stored: at + options.tail, info }
  }
  const textPlain = { filename: 'report.txt', filetype: 'text/plain' }
  return {
    prefix,
    unfinished: await write('8f3c1a0e9d2b4c6f8e7d5a3b1c0f9e8d', { data: pseudoRandomBytes(3 * PART + 5000, 31), parts: [PART, PART], tail: 1000, metadata: textPlain }),
    unfinishedDraft: await write('9a4d2b1f0e3c5d7f9e8d6b4c2a1f0e9d', { data: pseudoRandomBytes(3 * PART + 7, 32), parts: [PART, PART], tail: 3000, metadata: textPlain }),
    finished: await write('1b2c3d4e5f60718293a4b5c6d7e8f901', {
      data: pseudoRandomBytes(2 * PART + 333, 33),
      parts: [PART, PART + 333],
      tail: 0,
      complete: true,
      metadata: { filename: 'done.bin', filetype: 'application/octet-stream' },
    }),
    deferred: await write('c0ffee00c0ffee00c0ffee00c0ffee00', { data: pseudoRandomBytes(PART + 2000, 34), parts: [PART], tail: 10, deferred: true, metadata: {} }),
  }
}
