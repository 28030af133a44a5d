import { randomBytes } from 'node:crypto'
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  AbortMultipartUploadCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import type { ServerKind } from '../servers/availability.js'
import { radosgw, startRadosgw, type RadosgwServer } from '../servers/ceph-rgw.js'
import { S3Store, type S3StoreOptions } from '../../src/store/s3/s3-store.js'
import type { Store } from '../../src/store/store.js'

export const KiB = 1024
export const MiB = 1024 * KiB

/**
 * The part size radosgw is told to accept in tests (`rgw_multipart_min_part_size`), so that tests cross
 * part boundaries with kilobytes rather than megabytes. A test of real 5 MiB parts uses the store's defaults.
 */
export const TEST_MIN_PART = 64 * KiB

/** radosgw with small parts allowed and room for `memstoreBytes` of data (default 1 GiB). */
export function radosgwWithSmallParts(memstoreBytes?: number): ServerKind<RadosgwServer> {
  return {
    ...radosgw,
    start: () => startRadosgw({ rgwOptions: { rgw_multipart_min_part_size: TEST_MIN_PART }, ...(memstoreBytes === undefined ? {} : { memstoreBytes }) }),
  }
}

/** An S3 client for the radosgw, as a test's own eyes (path-style, no aws-chunked bodies, silent). */
export function s3ClientFor(server: RadosgwServer): S3Client {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

/** A fresh bucket with a random name; resolves with its name. */
export async function freshBucket(server: RadosgwServer): Promise<string> {
  const name = `test-${randomBytes(6).toString('hex')}`
  const client = s3ClientFor(server)
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }))
  } finally {
    client.destroy()
  }
  return name
}

/** Removes every object and multipart upload of a bucket, then the bucket (frees the OSD's RAM). */
export async function removeBucket(server: RadosgwServer, bucket: string): Promise<void> {
  const client = s3ClientFor(server)
  try {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }))
      for (const object of page.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }))
      if (page.IsTruncated !== true) break
    }
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
    for (const upload of uploads.Uploads ?? []) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }))
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }))
  } finally {
    client.destroy()
  }
}

/**
 * Store options for the radosgw and `bucket`, small parts unless `options` says otherwise. The keys come
 * from the environment, as the SDK's chain finds them for the CLI (`useServerKeys` puts them there).
 */
export function storeOptions(server: RadosgwServer, bucket: string, options: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return {
    bucket,
    endpoint: server.endpoint,
    minPartSize: TEST_MIN_PART,
    partSize: 2 * TEST_MIN_PART,
    ...options,
  }
}

/** Puts the radosgw's keys where the SDK's credential chain looks first: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`. */
export function useServerKeys(server: RadosgwServer): void {
  process.env['AWS_ACCESS_KEY_ID'] = server.accessKeyId
  process.env['AWS_SECRET_ACCESS_KEY'] = server.secretAccessKey
}

/** Opens an S3 store on the radosgw as the CLI does: its own client, keys from the environment. */
export async function openStore(server: RadosgwServer, bucket: string, options: Partial<S3StoreOptions> = {}): Promise<S3Store> {
  useServerKeys(server)
  return S3Store.open(storeOptions(server, bucket, options))
}

/**
 * `store` as a store without a size limit: the HTTP suites were written for a gateway without limits
 * (no `Tus-Max-Size`, `Upload-Limit: min-size=0`); S3's 5 TiB limit is tested on its own (s3-gateway.test.ts).
 * Every call goes to `store` itself.
 */
export function withoutSizeLimit(store: S3Store): Store {
  const { maxSize: _limit, ...capabilities } = store.capabilities
  return {
    capabilities,
    isValidId: (id) => store.isValidId(id),
    create: (init, signal) => store.create(init, signal),
    open: (id, signal) => store.open(id, signal),
    list: (signal) => store.list(signal),
    sweepLeftovers: (signal) => store.sweepLeftovers(signal),
    close: () => store.close(),
  }
}

/** Waits until the multipart upload of upload `id` (`<objectId>+<multipartId>`, no prefix) lists at least `count` parts. */
export async function waitForParts(server: RadosgwServer, bucket: string, id: string, count: number, timeoutMs = 10_000): Promise<void> {
  const at = id.lastIndexOf('+')
  const client = s3ClientFor(server)
  try {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const listed = await client.send(new ListPartsCommand({ Bucket: bucket, Key: id.slice(0, at), UploadId: id.slice(at + 1) }))
      if ((listed.Parts ?? []).length >= count) return
      if (Date.now() > deadline) throw new Error(`upload ${id} lists ${(listed.Parts ?? []).length} parts after ${timeoutMs} ms, expected ${count}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  } finally {
    client.destroy()
  }
}
