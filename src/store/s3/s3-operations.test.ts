import { expect, it } from 'vitest'
import { s3OperationName } from './s3-operations.js'

it("names S3 calls as tusd's tusd_s3_request_duration_ms does, and the others after their command", () => {
  const calls: [command: string, key: string | undefined, name: string][] = [
    ['GetObjectCommand', 'p/abc.info', 'get_info_object'],
    ['PutObjectCommand', 'p/abc.info', 'put_info_object'],
    ['CreateMultipartUploadCommand', 'p/abc', 'create_multipart_upload'],
    ['CompleteMultipartUploadCommand', 'p/abc', 'complete_multipart_upload'],
    ['UploadPartCommand', 'p/abc', 'upload_part'],
    ['ListPartsCommand', 'p/abc', 'list_parts'],
    ['HeadObjectCommand', 'p/abc.part', 'head_part_object'],
    ['GetObjectCommand', 'p/abc.part', 'get_part_object'],
    ['PutObjectCommand', 'p/abc.part', 'put_part_object'],
    ['DeleteObjectCommand', 'p/abc.part', 'delete_part_object'],
    // Calls tusd does not time.
    ['GetObjectCommand', 'p/abc', 'get_object'],
    ['UploadPartCopyCommand', 'p/abc', 'upload_part_copy'],
    ['ListObjectsV2Command', undefined, 'list_objects_v2'],
    ['HeadBucketCommand', undefined, 'head_bucket'],
  ]
  for (const [command, key, name] of calls) {
    expect(s3OperationName(command, key === undefined ? { Bucket: 'b' } : { Bucket: 'b', Key: key }), `${command} ${key}`).toBe(name)
  }
})
