import { expect } from 'vitest'
import type { Store, StoredUpload } from '../store.js'
import { NEVER, body, create, expectFinishedContent, failing, pseudoRandomBytes, reopen, required, stalling, type Suite } from './support.js'

/**
 * Appends around a part size N (tusd's S3 store: parts of at least 5 MiB except the last, and a shorter
 * tail of an append kept aside as `.part`): appends that cross part boundaries, interrupted appends that
 * leave a tail shorter than a part, many tiny appends, a rollback across a boundary, a finish after a tail.
 * Every append goes through a handle read afresh, so what a store keeps in a handle cannot hide a loss.
 */
export function partTests({ test, store, partSize }: Suite): void {
  test('[parts] uses a part size no smaller than the store declares', async () => {
    const declared = store().capabilities.minPartSize
    if (declared !== undefined) expect(partSize()).toBeGreaterThanOrEqual(declared)
  })

  test('[parts] appends that cross part boundaries (2.5 parts, 1.7 parts, the rest of 5) read back byte for byte', async () => {
    const n = partSize()
    const data = pseudoRandomBytes(5 * n + 123, 1)
    const cuts = [0, Math.floor(2.5 * n), Math.floor(4.2 * n), data.length]
    const upload = await create(store(), { length: data.length })
    const last = await appendPieces(store(), upload, data, cuts)
    expect(last.state).toMatchObject({ offset: data.length, length: data.length })
    await expectFinishedContent(store(), last, data)
    await expectRangesAround(last, data, n)
  })

  test('[parts] an append that fails leaves a tail shorter than a part, and the upload resumes byte-identical', async () => {
    const n = partSize()
    const data = pseudoRandomBytes(3 * n + 7, 2)
    const upload = await create(store(), { length: data.length })
    // 1.3 parts, then the client goes away: a part and a tail of 0.3 parts must both be kept.
    const firstCut = Math.floor(1.3 * n)
    const failure = new Error('connection reset')
    const first = await reopen(store(), upload)
    await expect(first.append(failing(failure, data.subarray(0, firstCut)), NEVER)).rejects.toBe(failure)
    expect((await reopen(store(), upload)).state.offset).toBe(firstCut)
    // Then 0.4 parts and a release request while the client is silent: the tail grows, no part is full yet.
    const secondCut = firstCut + Math.floor(0.4 * n)
    const controller = new AbortController()
    const second = await reopen(store(), upload)
    expect((await second.append(stalling(controller, data.subarray(firstCut, secondCut)), controller.signal)).offset).toBe(secondCut)
    expect((await reopen(store(), upload)).state.offset).toBe(secondCut)
    const last = await appendPieces(store(), upload, data, [secondCut, data.length])
    await expectFinishedContent(store(), last, data)
  })

  test('[parts] many tiny appends, each on a new handle, make one upload', async () => {
    const n = partSize()
    const size = Math.floor(2.5 * n)
    const data = pseudoRandomBytes(size, 3)
    // About 40 appends of a fortieth of the bytes each, offset by 7 so that none ends on a part boundary.
    const step = Math.max(1, Math.floor(size / 40) + 7)
    const cuts = [...Array.from({ length: Math.ceil(size / step) }, (_, i) => i * step), size]
    const upload = await create(store(), { length: size })
    const last = await appendPieces(store(), upload, data, cuts)
    expect(last.state.offset).toBe(size)
    await expectFinishedContent(store(), last, data)
  })

  test('[parts] rolls back an append that crossed a part boundary', async ({ skip }) => {
    skip(!store().capabilities.rollBack, 'the store does not roll back')
    const n = partSize()
    const data = pseudoRandomBytes(2 * n, 4)
    const upload = await create(store(), { length: data.length })
    const tail = Math.floor(0.8 * n)
    await appendPieces(store(), upload, data, [0, tail])
    // 0.7 parts of the wrong bytes: from a tail of 0.8 they fill a part and start a new tail.
    const wrong = await reopen(store(), upload)
    await wrong.append(body(pseudoRandomBytes(Math.floor(0.7 * n), 5)), NEVER)
    expect((await required(wrong.rollBack, 'rollBack').call(wrong, NEVER)).offset).toBe(tail)
    expect((await reopen(store(), upload)).state.offset).toBe(tail)
    const last = await appendPieces(store(), upload, data, [tail, tail + Math.floor(0.7 * n), data.length])
    await expectFinishedContent(store(), last, data)
  })

  test('[parts] finishes an upload whose last bytes are a tail shorter than a part', async () => {
    const n = partSize()
    const data = pseudoRandomBytes(2 * n + Math.floor(0.2 * n), 6)
    const upload = await create(store(), { length: data.length })
    // The tail of the first append (0.1 parts) is completed by the second one, which ends in a tail too.
    const last = await appendPieces(store(), upload, data, [0, Math.floor(1.1 * n), data.length])
    await expectFinishedContent(store(), last, data)
  })

  test('[parts] finishes an upload of deferred length once its length is declared after a tail', async ({ skip }) => {
    skip(!store().capabilities.deferLength, 'the store does not defer lengths')
    const n = partSize()
    const data = pseudoRandomBytes(Math.floor(1.3 * n), 7)
    const upload = await create(store())
    await appendPieces(store(), upload, data, [0, data.length])
    const declared = await reopen(store(), upload)
    expect(await declared.update({ length: data.length }, NEVER)).toMatchObject({ offset: data.length, length: data.length })
    await expectFinishedContent(store(), declared, data)
  })

  test('[parts] finishes an upload smaller than one part', async () => {
    const data = pseudoRandomBytes(Math.floor(partSize() / 2) + 1, 8)
    const upload = await create(store(), { length: data.length })
    await expectFinishedContent(store(), await appendPieces(store(), upload, data, [0, data.length]), data)
  })
}

/** Appends `data` cut at `cuts` (offsets, in order), each piece through a handle read afresh; returns the last handle. */
async function appendPieces(store: Store, upload: StoredUpload, data: Buffer, cuts: readonly number[]): Promise<StoredUpload> {
  let handle = upload
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [from, to] = [cuts[i] ?? 0, cuts[i + 1] ?? 0]
    handle = await reopen(store, upload)
    expect(handle.state.offset, `before the append of ${from}-${to}`).toBe(from)
    // Several chunks per append, of a size unrelated to the part size.
    const chunks: Buffer[] = []
    for (let at = from; at < to; at += 65_521) chunks.push(data.subarray(at, Math.min(to, at + 65_521)))
    expect((await handle.append(body(...chunks), NEVER)).offset).toBe(to)
  }
  return handle
}

/** Reads ranges that start or end on either side of each part boundary. */
async function expectRangesAround(upload: StoredUpload, data: Buffer, partSize: number): Promise<void> {
  if (upload.read === undefined) return
  const read = upload.read.bind(upload)
  for (let boundary = partSize; boundary < data.length; boundary += partSize) {
    for (const [start, end] of [
      [boundary - 1, boundary + 1],
      [boundary, boundary + 3],
      [boundary - 5, boundary],
    ] as const) {
      const chunks: Buffer[] = []
      for await (const chunk of await read({ start, end }, NEVER)) chunks.push(Buffer.from(chunk as Uint8Array))
      expect(Buffer.concat(chunks).equals(data.subarray(start, end)), `range ${start}-${end}`).toBe(true)
    }
  }
}
