import type { CompletionCheck } from '../../core/commands.js'
import type { Upload } from '../../model/upload.js'
import { DigestComputer, mismatches, serializeDigests, type DigestAlgorithm, type Digests } from './digests.js'
import { DraftRefusal } from './refusal.js'

/** The algorithms of a completed upload's digests: those expected (`Repr-Digest`) and those wanted. */
export function representationAlgorithms(upload: Upload, wanted: readonly DigestAlgorithm[]): DigestAlgorithm[] {
  const expected = Object.keys(upload.digests?.expected ?? {}) as DigestAlgorithm[]
  const asked = (upload.digests?.wanted ?? []) as DigestAlgorithm[]
  return [...new Set([...expected, ...wanted, ...asked])]
}

/**
 * for a request that completes an upload: checks the `Repr-Digest` the client gave at creation,
 * and makes the `Repr-Digest` field to answer `Want-Repr-Digest` with (`field`, undefined if nobody asked).
 *
 * When the request carries the whole representation (from offset 0), its bytes are hashed on their way
 * to the store; otherwise the stored bytes are read back. It runs under the upload's lock, inside the
 * append: a mismatch removes the upload (R-76: "consider the upload failed, not process the representation
 * further"), and the answer comes from processing the representation (`Upload-Complete: ?1`).
 */
export class RepresentationCheck implements CompletionCheck {
  readonly #wanted: readonly DigestAlgorithm[]
  readonly #offset: number
  #computer: DigestComputer | undefined
  #field: string | undefined

  /** `wanted`: the request's `Want-Repr-Digest`; `offset`: where its content starts. */
  constructor(wanted: readonly DigestAlgorithm[], offset: number) {
    this.#wanted = wanted
    this.#offset = offset
  }

  /** The `Repr-Digest` to answer with, once `verify` passed. */
  get field(): string | undefined {
    return this.#field
  }

  begin(before: Upload): ((chunk: Uint8Array) => void) | undefined {
    const algorithms = representationAlgorithms(before, this.#wanted)
    if (this.#offset !== 0 || algorithms.length === 0) return undefined
    const computer = new DigestComputer(algorithms)
    this.#computer = computer
    return (chunk) => computer.update(chunk)
  }

  /** Throws DraftRefusal when a digest given at creation does not match. */
  async verify(upload: Upload, read: () => Promise<AsyncIterable<Uint8Array>>): Promise<void> {
    const algorithms = representationAlgorithms(upload, this.#wanted)
    if (algorithms.length === 0) return
    const digests = this.#computer?.digests() ?? (await digestOf(await read(), algorithms))
    this.#computer = undefined
    const wrong = mismatches((upload.digests?.expected ?? {}) as Digests, digests)
    if (wrong.length > 0) {
      throw new DraftRefusal('REPR_DIGEST_MISMATCH', {
        status: 400,
        detail: `Repr-Digest ${wrong.join(', ')} does not match the uploaded representation; the upload was discarded`,
        complete: true,
      })
    }
    const answer = [...this.#wanted, ...((upload.digests?.wanted ?? []) as DigestAlgorithm[])]
    if (answer.length === 0) return
    const fields: Digests = {}
    for (const algorithm of answer) fields[algorithm] = digests[algorithm]
    this.#field = serializeDigests(fields)
  }
}

async function digestOf(bytes: AsyncIterable<Uint8Array>, algorithms: readonly DigestAlgorithm[]): Promise<Digests> {
  const computer = new DigestComputer(algorithms)
  for await (const chunk of bytes) computer.update(chunk)
  return computer.digests()
}
