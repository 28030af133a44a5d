import type { BodyCheck } from '../../core/body/body-check.js'
import {
  CHECKSUM_ALGORITHMS,
  ChecksumCheck,
  digestBytes,
  isChecksumAlgorithm,
  type ExpectedChecksum,
} from '../../core/body/checksum.js'
import type { Exchange } from '../../transport/exchange.js'
import { excerpt, HeaderError } from '../header-error.js'
import { headerValue } from '../http/header-value.js'

const HEADER = 'Upload-Checksum'
// RFC 4648 base64, padding optional; Buffer.from(…, 'base64') would silently skip anything else.
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * T-46: `Upload-Checksum` is an algorithm name, one space, and the base64 digest of the request's body.
 * Throws HeaderError naming the problem: an algorithm the gateway does not support (T-43: 400, names are
 * lowercase, T-44), a digest that is not base64 or not of the algorithm's size.
 */
export function parseUploadChecksum(value: string): ExpectedChecksum {
  const parts = value.trim().split(' ')
  const [algorithm, encoded] = parts
  if (parts.length !== 2 || algorithm === undefined || encoded === undefined || algorithm === '' || encoded === '') {
    throw new HeaderError(HEADER, `must be "<algorithm> <base64 digest>", got "${excerpt(value)}"`)
  }
  if (!isChecksumAlgorithm(algorithm)) {
    throw new HeaderError(HEADER, `algorithm "${excerpt(algorithm)}" is not supported; use one of ${CHECKSUM_ALGORITHMS.join(', ')}`)
  }
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) throw new HeaderError(HEADER, `the ${algorithm} digest is not base64`)
  const digest = Buffer.from(encoded, 'base64')
  if (digest.length !== digestBytes(algorithm)) {
    throw new HeaderError(HEADER, `a ${algorithm} digest has ${digestBytes(algorithm)} bytes, this one has ${digest.length}`)
  }
  return { algorithm, digest }
}

/**
 * The checks a request's body must pass (tus `checksum` and `checksum-trailer`): the `Upload-Checksum`
 * header's; or, when the request announces the checksum as a trailer (`Trailer: Upload-Checksum`, RFC 9110
 * §6.6.2), the trailer's, read once the body has ended. A trailer must be announced: only then are the bytes
 * hashed as they stream by. Without a checksum, and when the store can discard a body (`discardable`), the
 * one check is that no unannounced checksum trailer comes. Throws HeaderError for a malformed header, or for
 * a header sent while a trailer is announced too; the trailer's own problems (missing, malformed,
 * unannounced) are thrown by the check after the body, which discards the bytes.
 */
export function checksumChecks(exchange: Exchange, discardable: boolean): BodyCheck[] {
  // Sent twice, it reads as one list, which no checksum matches: 400 rather than picking one.
  const header = headerValue(exchange.headers, 'upload-checksum')
  const inTrailer = announcesTrailer(exchange)
  if (header !== undefined && inTrailer) throw new HeaderError(HEADER, 'sent as a header and announced as a trailer; send it once')
  if (header !== undefined) return [ChecksumCheck.of(parseUploadChecksum(header))]
  if (!inTrailer) return discardable ? [new UnannouncedTrailerCheck(exchange)] : []
  // The algorithm is named only at the end, so every supported one is computed while the bytes stream.
  return [
    new ChecksumCheck(CHECKSUM_ALGORITHMS, () => {
      const trailer = exchange.trailers()['upload-checksum']
      if (trailer === undefined) throw new HeaderError(HEADER, 'was announced as a trailer (Trailer: Upload-Checksum) but did not arrive')
      return parseUploadChecksum(trailer)
    }),
  ]
}

/**
 * T-43: "the Server MUST verify the uploaded chunk against the provided checksum". A checksum trailer that
 * was not announced (node's `addTrailers` and `sendTrailers` do not announce theirs) arrives after bytes that
 * were not hashed, so it cannot be verified; ignoring it would store bytes the client asked to be checked.
 * The body is refused with 400 and discarded, as for a malformed trailer. A body that stops early keeps its
 * bytes: no checksum was announced to hold them to.
 */
class UnannouncedTrailerCheck implements BodyCheck {
  readonly allOrNothing = false
  readonly #exchange: Exchange

  constructor(exchange: Exchange) {
    this.#exchange = exchange
  }

  update(): void {}

  verify(): void {
    if (this.#exchange.trailers()['upload-checksum'] === undefined) return
    throw new HeaderError(HEADER, 'came as a trailer that was not announced; announce it with Trailer: Upload-Checksum')
  }
}

function announcesTrailer(exchange: Exchange): boolean {
  const trailer = exchange.headers.trailer
  if (trailer === undefined) return false
  return trailer.split(',').some((name) => name.trim().toLowerCase() === 'upload-checksum')
}
