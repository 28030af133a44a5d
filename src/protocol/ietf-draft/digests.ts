import { createHash, type Hash } from 'node:crypto'
import { parseDictionary, serializeDictionary, type Dictionary } from 'structured-headers'
import type { BodyCheck } from '../../core/body/body-check.js'
import { HeaderError } from '../header-error.js'
import type { DraftFields } from './fields.js'
import { DraftRefusal } from './refusal.js'
import type { InteropVersion } from './versions.js'

// RFC 9530 §7.2: the "active" algorithms of the Hash Algorithms for HTTP Digest Fields registry.
const ALGORITHMS = { 'sha-256': 'sha256', 'sha-512': 'sha512' } as const

/** A digest algorithm the gateway computes, by its RFC 9530 name. */
export type DigestAlgorithm = keyof typeof ALGORITHMS

/** Digests by algorithm, as base64. */
export type Digests = Partial<Record<DigestAlgorithm, string>>

/**
 * A `Content-Digest` or `Repr-Digest` value (an SF Dictionary of Byte Sequences): the digests of the
 * algorithms we compute. Unknown algorithms are ignored (RFC 9530 §2). Throws HeaderError when the
 * field is not a Dictionary or a known algorithm's value is not a Byte Sequence.
 */
export function parseDigests(field: string, value: string): Digests {
  const digests: Digests = {}
  for (const [key, member] of parseDictionaryOrThrow(field, value)) {
    if (!isAlgorithm(key)) continue
    const [bytes] = member
    if (!(bytes instanceof ArrayBuffer)) throw new HeaderError(field, `the ${key} value must be a byte sequence (:base64:)`)
    digests[key] = Buffer.from(bytes).toString('base64')
  }
  return digests
}

/**
 * A `Want-Repr-Digest` value (an SF Dictionary of Integers 0-10, RFC 9530 §4): the algorithms we
 * compute that the client accepts (preference above 0), most preferred first. Throws HeaderError.
 */
export function parseWantedDigests(field: string, value: string): DigestAlgorithm[] {
  const wanted: { algorithm: DigestAlgorithm; preference: number }[] = []
  for (const [key, member] of parseDictionaryOrThrow(field, value)) {
    const [preference] = member
    if (typeof preference !== 'number' || !Number.isInteger(preference) || preference < 0 || preference > 10) {
      throw new HeaderError(field, `the ${key} preference must be an integer from 0 to 10`)
    }
    if (isAlgorithm(key) && preference > 0) wanted.push({ algorithm: key, preference })
  }
  return wanted.sort((a, b) => b.preference - a.preference).map((entry) => entry.algorithm)
}

/** The `Repr-Digest` field value for digests (algorithms in the order given). */
export function serializeDigests(digests: Digests): string {
  const members: Dictionary = new Map()
  for (const [algorithm, value] of Object.entries(digests)) members.set(algorithm, [Buffer.from(value, 'base64'), new Map()])
  return serializeDictionary(members)
}

/** Hashes bytes with several algorithms at once, as they stream past. */
export class DigestComputer {
  readonly #hashes: [DigestAlgorithm, Hash][]

  constructor(algorithms: Iterable<DigestAlgorithm>) {
    this.#hashes = [...new Set(algorithms)].map((algorithm) => [algorithm, createHash(ALGORITHMS[algorithm])])
  }

  update(chunk: Uint8Array): void {
    for (const [, hash] of this.#hashes) hash.update(chunk)
  }

  /** The digests of everything seen; call once. */
  digests(): Digests {
    return Object.fromEntries(this.#hashes.map(([algorithm, hash]) => [algorithm, hash.digest('base64')]))
  }
}

/** The algorithms of `expected` whose computed digest differs; empty when all match. */
export function mismatches(expected: Digests, actual: Digests): DigestAlgorithm[] {
  return (Object.keys(expected) as DigestAlgorithm[]).filter((algorithm) => expected[algorithm] !== actual[algorithm])
}

/**
 * `Content-Digest` checked over one request's content while it streams. A mismatch throws, so
 * the service discards the request's bytes (they never count) and the client hears why.
 */
export class ContentDigestCheck implements BodyCheck {
  readonly #expected: Digests
  readonly #computer: DigestComputer

  constructor(expected: Digests) {
    this.#expected = expected
    this.#computer = new DigestComputer(Object.keys(expected) as DigestAlgorithm[])
  }

  update(chunk: Uint8Array): void {
    this.#computer.update(chunk)
  }

  verify(): void {
    const wrong = mismatches(this.#expected, this.#computer.digests())
    if (wrong.length === 0) return
    throw new DraftRefusal('CONTENT_DIGEST_MISMATCH', {
      status: 400,
      detail: `Content-Digest ${wrong.join(', ')} does not match the request content; its bytes were not appended`,
    })
  }
}

function isAlgorithm(key: string): key is DigestAlgorithm {
  return Object.hasOwn(ALGORITHMS, key)
}

function parseDictionaryOrThrow(field: string, value: string): Dictionary {
  try {
    return parseDictionary(value)
  } catch {
    throw new HeaderError(field, 'must be a structured-field dictionary, e.g. sha-256=:base64:')
  }
}

/** What a request's digest fields ask: `Content-Digest`, the creation's `Repr-Digest`, `Want-Repr-Digest`. */
export interface RequestDigests {
  readonly content?: Digests
  readonly repr?: Digests
  readonly wanted: DigestAlgorithm[]
}

/** The digest fields of a request, for rows that have digests (RFC 9530). Throws HeaderError when malformed. */
export function requestDigests(fields: DraftFields, row: InteropVersion, creation: boolean): RequestDigests {
  if (!row.digests) return { wanted: [] }
  const content = fields.raw('content-digest')
  const repr = creation ? fields.raw('repr-digest') : undefined
  const wanted = fields.raw('want-repr-digest')
  const nonEmpty = (digests: Digests): Digests | undefined => (Object.keys(digests).length > 0 ? digests : undefined)
  return {
    // Digests of algorithms we do not compute are ignored (RFC 9530 §2): nothing to check then.
    content: content === undefined ? undefined : nonEmpty(parseDigests('Content-Digest', content)),
    repr: repr === undefined ? undefined : nonEmpty(parseDigests('Repr-Digest', repr)),
    wanted: wanted === undefined ? [] : parseWantedDigests('Want-Repr-Digest', wanted),
  }
}
