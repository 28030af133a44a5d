import { join } from 'node:path'
import { HeadObjectCommand, ListPartsCommand } from '@aws-sdk/client-s3'
import type { RadosgwServer } from '../servers/ceph-rgw.js'
import { s3ClientFor, TEST_MIN_PART } from '../s3/s3-support.js'
import type { SharedStore } from './cluster.js'

/** The part size of the scale-out gateways on S3: small, so that a 1 MiB request is several parts. */
export const S3_PART_SIZE = 2 * TEST_MIN_PART

/**
 * One S3 bucket on a radosgw started with small parts allowed (`radosgwWithSmallParts`), as every gateway's
 * store: `--s3-bucket`, `--s3-endpoint`, parts of 128 KiB with the 64 KiB minimum (bytes after the last part
 * below it go to `<id>.part`), part files in the cluster's directory, the keys in the environment.
 */
export function s3SharedStore(server: RadosgwServer, bucket: string): SharedStore {
  return {
    name: `one S3 bucket on radosgw (parts of ${S3_PART_SIZE / 1024} KiB)`,
    args: (workDir) => [
      '--s3-bucket',
      bucket,
      '--s3-endpoint',
      server.endpoint,
      '--s3-min-part-size',
      String(TEST_MIN_PART),
      '--s3-part-size',
      String(S3_PART_SIZE),
      '--s3-temp-dir',
      join(workDir, 'parts'),
    ],
    env: { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey },
  }
}

/** What S3 itself holds of an unfinished upload: its listed parts and the size of its `.part` object (0 when none). */
export interface HeldInS3 {
  readonly parts: readonly number[]
  readonly tail: number
  /** The gateway's record on `.part`: how many of the listed parts count. */
  readonly committedParts: number | undefined
}

/** Reads, with an S3 client of the test's own, what S3 holds of upload `id` (`<objectId>+<multipartId>`, no prefix). */
export async function heldInS3(server: RadosgwServer, bucket: string, id: string): Promise<HeldInS3> {
  const at = id.lastIndexOf('+')
  const [objectId, multipartId] = [id.slice(0, at), id.slice(at + 1)]
  const client = s3ClientFor(server)
  try {
    const listed = await client.send(new ListPartsCommand({ Bucket: bucket, Key: objectId, UploadId: multipartId }))
    const tail = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${objectId}.part` })).catch((error: unknown) => {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined
      throw error
    })
    const committed = tail?.Metadata?.['committed-parts']
    return {
      parts: (listed.Parts ?? []).sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0)).map((part) => part.Size ?? 0),
      tail: tail?.ContentLength ?? 0,
      committedParts: committed === undefined ? undefined : Number(committed),
    }
  } finally {
    client.destroy()
  }
}
