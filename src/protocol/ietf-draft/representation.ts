import type { RequestContext, UploadService } from '../../core/service.js'
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
 * once an upload is complete: checks the `Repr-Digest` the client gave at creation, and
 * returns the `Repr-Digest` field to answer `Want-Repr-Digest` with (undefined if nobody asked).
 *
 * `computed` holds the digests of the whole representation when the completing request carried all
 * of it; otherwise the stored bytes are streamed through the hashes. A mismatch removes the upload
 * "consider the upload failed, not process the representation further") and throws a
 * DraftRefusal whose answer comes from processing the representation (`Upload-Complete: ?1`).
 */
export async function checkRepresentation(
  service: UploadService,
  upload: Upload,
  wanted: readonly DigestAlgorithm[],
  computed: Digests | undefined,
  context: RequestContext,
): Promise<string | undefined> {
  const algorithms = representationAlgorithms(upload, wanted)
  if (algorithms.length === 0) return undefined
  const digests = computed ?? (await digestStored(service, upload.id, algorithms, context))
  const expected = (upload.digests?.expected ?? {}) as Digests
  const wrong = mismatches(expected, digests)
  if (wrong.length > 0) {
    await service.terminate(upload.id, { signal: new AbortController().signal })
    throw new DraftRefusal('REPR_DIGEST_MISMATCH', {
      status: 400,
      detail: `Repr-Digest ${wrong.join(', ')} does not match the uploaded representation; the upload was discarded`,
      complete: true,
    })
  }
  const answer = [...wanted, ...((upload.digests?.wanted ?? []) as DigestAlgorithm[])]
  if (answer.length === 0) return undefined
  const fields: Digests = {}
  for (const algorithm of answer) fields[algorithm] = digests[algorithm]
  return serializeDigests(fields)
}

async function digestStored(
  service: UploadService,
  id: string,
  algorithms: readonly DigestAlgorithm[],
  context: RequestContext,
): Promise<Digests> {
  const computer = new DigestComputer(algorithms)
  const { stream } = await service.read(id, () => undefined, context)
  for await (const chunk of stream as AsyncIterable<Uint8Array>) computer.update(chunk)
  return computer.digests()
}
