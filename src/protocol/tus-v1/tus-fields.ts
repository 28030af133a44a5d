/**
 * tus fields describe the upload, not the representation: the application does not get them (upstream mode),
 * whichever codec took the creation (tus-js-client sends `Upload-Metadata` in its draft modes too).
 */
export const TUS_FIELDS: ReadonlySet<string> = new Set([
  'tus-resumable',
  'upload-length',
  'upload-defer-length',
  'upload-metadata',
  'upload-checksum',
  'upload-concat',
  'upload-offset',
])
