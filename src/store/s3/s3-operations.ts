/**
 * The name tusd gives an S3 call in `tusd_s3_request_duration_ms` (tusd's s3store): by the command and
 * whether its key is the `.info` or the `.part` object. Calls tusd does not time (copies, listings,
 * aborts, downloads of the data) are named after their command in snake case (`upload_part_copy`).
 */
export function s3OperationName(commandName: string, input: unknown): string {
  const key = typeof input === 'object' && input !== null && 'Key' in input && typeof input.Key === 'string' ? input.Key : ''
  const object = key.endsWith('.info') ? 'info' : key.endsWith('.part') ? 'part' : undefined
  switch (commandName) {
    case 'GetObjectCommand':
      if (object !== undefined) return `get_${object}_object`
      break
    case 'PutObjectCommand':
      if (object !== undefined) return `put_${object}_object`
      break
    case 'HeadObjectCommand':
      if (object === 'part') return 'head_part_object'
      break
    case 'DeleteObjectCommand':
      if (object === 'part') return 'delete_part_object'
      break
  }
  return commandName
    .replace(/Command$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
}
