import { createHash, timingSafeEqual, type Hash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import type { BodyCheck } from './body-check.js'
import { ChecksumMismatch } from '../../model/errors.js'

/**
 * The checksum algorithms the gateway verifies, in order of preference. Names are lowercase ASCII, as
 * tus 1.0.0 (checksum) requires, and `sha1` is there because every tus server must support it.
 */
export const CHECKSUM_ALGORITHMS = ['sha1', 'md5', 'sha256', 'sha512', 'crc32'] as const

/** The name of a checksum algorithm the gateway verifies. */
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number]

// Digest sizes in bytes: a checksum of another size can never match, so it is refused before the body.
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { sha1: 20, md5: 16, sha256: 32, sha512: 64, crc32: 4 }

/** A checksum the client sent: the algorithm and the digest's bytes. */
export interface ExpectedChecksum {
  readonly algorithm: ChecksumAlgorithm
  readonly digest: Uint8Array
}

/** True when `name` is an algorithm the gateway verifies. */
export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name)
}

/** The size in bytes of a digest of `algorithm`. */
export function digestBytes(algorithm: ChecksumAlgorithm): number {
  return DIGEST_BYTES[algorithm]
}

/** An incremental digest: fed chunk by chunk, so a body is never held in memory to be checked. */
export interface Digest {
  update(chunk: Uint8Array): void
  /** The digest of everything fed so far; call once. */
  digest(): Buffer
}

/** A fresh digest of `algorithm`. crc32 is the IEEE CRC-32 (zlib's), as 4 big-endian bytes. */
export function createDigest(algorithm: ChecksumAlgorithm): Digest {
  if (algorithm === 'crc32') return new Crc32Digest()
  const hash: Hash = createHash(algorithm)
  return { update: (chunk) => void hash.update(chunk), digest: () => hash.digest() }
}

class Crc32Digest implements Digest {
  #value = 0

  update(chunk: Uint8Array): void {
    this.#value = crc32(chunk, this.#value)
  }

  digest(): Buffer {
    const bytes = Buffer.alloc(4)
    bytes.writeUInt32BE(this.#value >>> 0)
    return bytes
  }
}

/**
 * Verifies the bytes of one request body against a checksum (tus `checksum` and `checksum-trailer`).
 *
 * The bytes are hashed as they stream by. When the checksum is known before the body (a header), only its
 * algorithm is computed. When it arrives after the body (a trailer), its algorithm is not known while the
 * bytes stream, so every algorithm in `algorithms` is computed and the one named at the end is compared.
 * `expected` is asked once the body has ended; it may throw (a missing or malformed trailer).
 */
export class ChecksumCheck implements BodyCheck {
  readonly #digests: Map<ChecksumAlgorithm, Digest>
  readonly #expected: () => ExpectedChecksum

  constructor(algorithms: readonly ChecksumAlgorithm[], expected: () => ExpectedChecksum) {
    this.#digests = new Map(algorithms.map((algorithm) => [algorithm, createDigest(algorithm)]))
    this.#expected = expected
  }

  /** A check against a checksum known before the body. */
  static of(expected: ExpectedChecksum): ChecksumCheck {
    return new ChecksumCheck([expected.algorithm], () => expected)
  }

  update(chunk: Uint8Array): void {
    for (const digest of this.#digests.values()) digest.update(chunk)
  }

  /** Throws ChecksumMismatch when the digests differ, and whatever `expected` throws. */
  verify(): void {
    const expected = this.#expected()
    const digest = this.#digests.get(expected.algorithm)
    if (digest === undefined) throw new Error(`no ${expected.algorithm} digest was computed for this body`)
    const actual = digest.digest()
    const wanted = Buffer.from(expected.digest)
    if (actual.length !== wanted.length || !timingSafeEqual(actual, wanted)) {
      throw new ChecksumMismatch(expected.algorithm, wanted.toString('base64'), actual.toString('base64'))
    }
  }
}
