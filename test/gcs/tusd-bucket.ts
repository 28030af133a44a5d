import { Storage } from '@google-cloud/storage'
import type { GcsFake } from '../fakes/gcs/gcs-fake.js'

// A bucket as tusd v2's gcsstore leaves it (tusd:pkg/gcsstore/gcsstore.go, gcsservice.go), written through the
// JSON API into the GCS fake: `<prefix>/<id>.info` holds FileInfo as Go's encoding/json marshals it (fields in
// struct order, the Storage map's keys sorted, written once at creation with Offset 0); every PATCH became one
// chunk object `<prefix>/<id>_<n>` (an empty PATCH an empty one); a finished upload is `<prefix>/<id>`, its
// chunks composed and deleted, with the metadata set on the object.

/** The prefix the fixture's uploads live under (`-gcs-object-prefix uploads`). */
export const TUSD_PREFIX = 'uploads'

/** An upload tusd left unfinished: 10 of 26 bytes, in three PATCHes (the second one empty). */
export const UNFINISHED = {
  id: '8a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d',
  length: 26,
  chunks: ['01234', '', '56789'],
  rest: 'abcdefghijklmnop',
  metadata: { filename: 'alphabet.txt', filetype: 'text/plain' },
} as const

/** An upload tusd finished: "hello from tusd\n" composed into `<prefix>/<id>`. */
export const FINISHED = {
  id: '3f1c9a7e5b2d4c6e8f0a1b2c3d4e5f60',
  content: 'hello from tusd\n',
  metadata: { filename: 'hello.txt', filetype: 'text/plain' },
} as const

/** An upload tusd created and received nothing for: 8 bytes to come. */
export const EMPTY = {
  id: 'c0ffee00c0ffee00c0ffee00c0ffee00',
  length: 8,
  metadata: { filename: 'later.bin' },
} as const

/** The `.info` text tusd writes for an upload of `size` bytes. */
export function tusdInfo(bucket: string, id: string, size: number, metadata: Readonly<Record<string, string>>): string {
  // Go's json.Marshal of handler.FileInfo: struct field order, no spaces; Storage is a map (sorted keys).
  return JSON.stringify({
    ID: id,
    Size: size,
    SizeIsDeferred: false,
    Offset: 0,
    MetaData: metadata,
    IsPartial: false,
    IsFinal: false,
    PartialUploads: null,
    Storage: { Bucket: bucket, Key: `${TUSD_PREFIX}/${id}`, Type: 'gcsstore' },
  })
}

/** Creates `bucket` in the fake and writes the fixture's uploads into it, as tusd would have. */
export async function writeTusdBucket(fake: GcsFake, bucket: string): Promise<void> {
  fake.createBucket(bucket)
  const files = new Storage({ apiEndpoint: fake.endpoint, projectId: fake.projectId }).bucket(bucket)
  const save = (name: string, data: string, metadata?: Record<string, string>): Promise<void> =>
    files.file(`${TUSD_PREFIX}/${name}`).save(data, { resumable: false, ...(metadata === undefined ? {} : { metadata: { metadata } }) })

  await save(`${UNFINISHED.id}.info`, tusdInfo(bucket, UNFINISHED.id, UNFINISHED.length, UNFINISHED.metadata))
  for (const [index, chunk] of UNFINISHED.chunks.entries()) await save(`${UNFINISHED.id}_${index}`, chunk)

  await save(`${FINISHED.id}.info`, tusdInfo(bucket, FINISHED.id, FINISHED.content.length, FINISHED.metadata))
  await save(FINISHED.id, FINISHED.content, FINISHED.metadata)

  await save(`${EMPTY.id}.info`, tusdInfo(bucket, EMPTY.id, EMPTY.length, EMPTY.metadata))
}

/**
 * What tusd's gcsstore reads from an upload's objects (`GetInfo` through `FilterObjects`): names under
 * `<key>` not ending in "info"; a bare `<key>` means finished; otherwise chunk `<key>_<n>` goes to slot n
 * (a missing slot stays "" and breaks tusd), and the offset is the sum of their sizes. Throws where tusd fails.
 */
export async function readAsTusd(fake: GcsFake, bucket: string, key: string): Promise<{ offset: number; chunks: string[]; finished: boolean }> {
  const names = fake.objectNames(bucket).filter((name) => name.startsWith(key) && !name.endsWith('info'))
  const slots: string[] = []
  for (const name of names) {
    const parts = name.slice(name.lastIndexOf('/') + 1).split('_')
    if (parts.length === 1) return { offset: fake.read(bucket, name)?.length ?? 0, chunks: [name], finished: true }
    if (parts.length !== 2) throw new Error(`tusd cannot read ${name}: invalid filter format for object name`)
    const index = Number(parts[1])
    if (!Number.isInteger(index)) throw new Error(`tusd cannot read ${name}: not a chunk index`)
    while (slots.length <= index) slots.push('')
    slots[index] = name
  }
  if (slots.includes('')) throw new Error(`tusd finds a gap among the chunks of ${key}: ${JSON.stringify(slots)}`)
  const offset = slots.reduce((sum, name) => sum + (fake.read(bucket, name)?.length ?? 0), 0)
  return { offset, chunks: slots, finished: false }
}
