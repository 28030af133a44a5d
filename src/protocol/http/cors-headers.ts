/** Request headers browsers may send to the gateway (both protocols). */
export const CORS_ALLOW_HEADERS = [
  'Authorization',
  'Origin',
  'X-Requested-With',
  'X-Request-ID',
  'X-HTTP-Method-Override',
  'Content-Type',
  'Content-Disposition',
  'Upload-Length',
  'Upload-Offset',
  'Tus-Resumable',
  'Upload-Metadata',
  'Upload-Defer-Length',
  'Upload-Concat',
  'Upload-Checksum',
  'Upload-Complete',
  'Upload-Incomplete',
  'Upload-Draft-Interop-Version',
  // IETF draft digests (RFC 9530).
  'Content-Digest',
  'Repr-Digest',
  'Want-Repr-Digest',
  // Upstream mode: a tus client asks for the application's answer (RFC 7240 return=representation).
  'Prefer',
]

/** Response headers browser scripts may read. */
export const CORS_EXPOSE_HEADERS = [
  'Location',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Defer-Length',
  'Upload-Concat',
  'Upload-Expires',
  'Upload-Complete',
  'Upload-Incomplete',
  'Upload-Limit',
  'Upload-Draft-Interop-Version',
  'Repr-Digest',
  'Accept-Patch',
  'Tus-Version',
  'Tus-Resumable',
  'Tus-Max-Size',
  'Tus-Checksum-Algorithm',
  'Tus-Extension',
  'Content-Disposition',
  'Content-Range',
  'Preference-Applied',
  // Upstream mode: the application's Location in a tus creation's answer, whose Location names the upload.
  'Application-Location',
]
