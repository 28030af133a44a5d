import type { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3'

const PAYLOAD_HASH_HEADER = 'x-amz-content-sha256'

/**
 * Signs `command`'s streamed body with its SHA-256 (hex), computed as the bytes arrived, as tusd's S3 client
 * does: S3 compares it with the bytes it receives and refuses a part damaged on the way. Without it the SDK
 * signs a stream as `UNSIGNED-PAYLOAD`. Set in the build step, before the SDK's checksum step: where that adds
 * a streamed checksum trailer (`requestChecksumCalculation: 'WHEN_SUPPORTED'`), it replaces this header.
 */
export function signPayload<C extends UploadPartCommand | PutObjectCommand>(command: C, sha256: string | undefined): C {
  if (sha256 === undefined) return command
  const stack = command.middlewareStack as UploadPartCommand['middlewareStack']
  stack.add(
    (next) => async (args) => {
      const { headers } = args.request as { headers: Record<string, string> }
      headers[PAYLOAD_HASH_HEADER] = sha256
      return next(args)
    },
    { step: 'build', name: 'signPayloadSha256' },
  )
  return command
}
