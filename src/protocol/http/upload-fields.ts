/**
 * The fields of the upload protocols the gateway speaks (tus 1.0.0 and the draft's, every interop version) that an
 * answer about an upload may carry: the gateway's to set. An application's answer given to the client as the answer
 * to an upload request (upstream mode) loses its own copies of them, whichever protocol the request spoke: the
 * gateway's fields (its offset, completeness, limits, version) win, and an application's `Upload-Limit:
 * max-size=1` or `Upload-Complete: ?0` never speaks for the upload. Names in lower case.
 */
export const UPLOAD_ANSWER_FIELDS: ReadonlySet<string> = new Set([
  // resumable-upload (-01 to -13): §8 "Upload-Complete", "Upload-Offset", "Upload-Length", "Upload-Limit",
  // -01/-02 "Upload-Incomplete", and the interop version of App. B.
  'upload-complete',
  'upload-incomplete',
  'upload-offset',
  'upload-length',
  'upload-limit',
  'upload-draft-interop-version',
  // tus 1.0.0: core and extension headers.
  'tus-resumable',
  'tus-version',
  'tus-extension',
  'tus-max-size',
  'tus-checksum-algorithm',
  'upload-defer-length',
  'upload-metadata',
  'upload-checksum',
  'upload-concat',
  'upload-expires',
])
