import { expect, it } from 'vitest'
import { s3OperationName } from './s3-operations.js'

it("names S3 calls as tusd's tusd_s3_request_duration_ms does, and the others after their command", () => {
  const named = (command: string, key?: string) => s3OperationName(command, key === undefined ? {} : { Bucket: 'b', Key: key })
  expect(named('GetObjectCommand', 'p/abc.info')).toBe('get_info_object')
  expect(named('PutObjectCommand', 'p/abc.info')).toBe('put_info_object')
  expect(named('CreateMultipartUploadCommand', 'p/abc')).toBe('create_multipart_upload')
  expect(named('CompleteMultipartUploadCommand', 'p/abc')).toBe('complete_multipart_upload')
  expect(named('UploadPartCommand', 'p/abc')).toBe('upload_part')
  expect(named('ListPartsCommand', 'p/abc')).toBe('list_parts')
  expect(named('HeadObjectCommand', 'p/abc.part')).toBe('head_part_object')
  expect(named('GetObjectCommand', 'p/abc.part')).toBe('get_part_object')
  expect(named('PutObjectCommand', 'p/abc.part')).toBe('put_part_object')
  expect(named('DeleteObjectCommand', 'p/abc.part')).toBe('delete_part_object')
  expect(named('GetObjectCommand', 'p/abc')).toBe('get_object')
  expect(named('UploadPartCopyCommand', 'p/abc')).toBe('upload_part_copy')
  expect(named('ListObjectsV2Command')).toBe('list_objects_v2')
  expect(named('HeadBucketCommand')).toBe('head_bucket')
})
