import { expect } from 'vitest'
import type { ByteRange } from '../../model/upload.js'
import type { StoredUpload } from '../store.js'
import { NEVER, body, create, expectFinishedContent, pseudoRandomBytes, readBytes, reopen, required, type Suite } from './support.js'

/** Tests of reading finished uploads and of concatenating partial uploads into a final upload. */
export function readTests({ test, store }: Suite): void {
  test('reads the whole upload and ranges of it, empty ones included', async ({ skip }) => {
    skip(!store().capabilities.read, 'the store does not read')
    const text = 'The quick brown fox jumps over the lazy dog'
    const upload = await create(store(), { length: text.length })
    await upload.append(body(text), NEVER)
    await upload.finish(NEVER)
    const opened = await reopen(store(), upload)
    expect((await readBytes(opened)).toString('utf8')).toBe(text)
    const ranges: [ByteRange, string][] = [
      [{ start: 0, end: text.length }, text],
      [{ start: 0, end: 1 }, 'T'],
      [{ start: 4, end: 9 }, 'quick'],
      [{ start: 4, end: 4 }, ''],
      [{ start: 0, end: 0 }, ''],
      [{ start: text.length - 3, end: text.length }, 'dog'],
      [{ start: text.length - 1, end: text.length }, 'g'],
      [{ start: text.length, end: text.length }, ''],
    ]
    for (const [range, expected] of ranges) {
      expect((await readBytes(opened, range)).toString('utf8'), JSON.stringify(range)).toBe(expected)
    }
  })

  test('refuses a range outside the upload with RangeError', async ({ skip }) => {
    skip(!store().capabilities.read, 'the store does not read')
    const upload = await create(store(), { length: 3 })
    await upload.append(body('abc'), NEVER)
    await upload.finish(NEVER)
    const read = required(upload.read, 'read').bind(upload)
    for (const range of [
      { start: 2, end: 4 },
      { start: 2, end: 1 },
      { start: -1, end: 2 },
      { start: 4, end: 4 },
      { start: 0.5, end: 2 },
    ]) {
      await expect(read(range, NEVER), JSON.stringify(range)).rejects.toBeInstanceOf(RangeError)
    }
  })

  test('keeps the role of partial and final uploads', async ({ skip }) => {
    skip(!store().capabilities.concat, 'the store does not concatenate')
    const partial = await create(store(), { length: 2, concat: { kind: 'partial' } })
    const id = partial.state.id
    const partials = [id, id]
    const partialUrls = [`/files/${id}`, `http://gateway/files/${id}`]
    expect(partial.state.concat).toEqual({ kind: 'partial' })
    const final = await create(store(), { length: 4, metadata: { name: 'f' }, concat: { kind: 'final', partials, partialUrls } })
    expect((await reopen(store(), partial)).state.concat).toEqual({ kind: 'partial' })
    expect((await reopen(store(), final)).state).toMatchObject({ offset: 0, length: 4, metadata: { name: 'f' }, concat: { kind: 'final', partials, partialUrls } })
    const plain = await create(store(), { length: 1 })
    expect((await reopen(store(), plain)).state.concat).toBeUndefined()
  })

  test('concatenates finished partial uploads into their final upload, in order, repeats included', async ({ skip }) => {
    skip(!store().capabilities.concat, 'the store does not concatenate')
    const big = pseudoRandomBytes(3 * 1024 * 1024 + 17)
    const [a, b, empty] = await finishedPartials(big, ' world', '')
    const partials = [b, a, empty, b]
    const total = big.length + 12
    const final = await create(store(), { length: total, concat: { kind: 'final', partials: partials.map(idOf) } })
    expect(final.state.offset).toBe(0)
    const done = await required(final.concatenate, 'concatenate').call(final, partials, NEVER)
    expect(done).toMatchObject({ offset: total, length: total })
    expect(final.state).toEqual(done)
    expect((await reopen(store(), final)).state).toMatchObject({ offset: total, length: total })
    await expectFinishedContent(store(), final, Buffer.concat([Buffer.from(' world'), big, Buffer.from(' world')]))
    // The partial uploads stay as they were: a client may use them again.
    expect((await reopen(store(), a)).state).toMatchObject({ offset: big.length, length: big.length })
    expect((await reopen(store(), a)).finished).toBe(true)
  })

  test('gives a final upload of unknown length the length of its partial uploads', async ({ skip }) => {
    skip(!store().capabilities.concat || !store().capabilities.deferLength, 'the store does not concatenate or defer lengths')
    const partials = await finishedPartials('abc', 'de')
    const final = await create(store(), { concat: { kind: 'final', partials: partials.map(idOf) } })
    expect(await required(final.concatenate, 'concatenate').call(final, partials, NEVER)).toMatchObject({ offset: 5, length: 5 })
    expect((await reopen(store(), final)).state).toMatchObject({ offset: 5, length: 5 })
    await expectFinishedContent(store(), final, 'abcde')
  })

  test('reports a missing partial upload as UploadNotFound naming it, and leaves the final upload as it was', async ({ skip }) => {
    skip(!store().capabilities.concat || !store().capabilities.terminate, 'the store does not concatenate or terminate')
    const [a, gone] = await finishedPartials('x', 'y')
    const partials = [a, gone]
    const final = await create(store(), { length: 2, concat: { kind: 'final', partials: partials.map(idOf) } })
    await required(gone.terminate, 'terminate').call(gone, NEVER)
    const concatenate = required(final.concatenate, 'concatenate').bind(final)
    await expect(concatenate(partials, NEVER)).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND', id: gone.state.id })
    const opened = await reopen(store(), final)
    expect(opened.state).toMatchObject({ offset: 0, length: 2 })
    expect(opened.finished).toBe(false)
    // All or nothing: once the parts are there, the same final upload concatenates.
    const [again] = await finishedPartials('y')
    const retried = await required(opened.concatenate, 'concatenate').call(opened, [a, again], NEVER)
    expect(retried).toMatchObject({ offset: 2, length: 2 })
    await expectFinishedContent(store(), opened, 'xy')
  })

  test('refuses a final length other than the bytes of its partial uploads with RangeError, writing nothing', async ({ skip }) => {
    skip(!store().capabilities.concat, 'the store does not concatenate')
    const partials = await finishedPartials('abc')
    const final = await create(store(), { length: 4, concat: { kind: 'final', partials: partials.map(idOf) } })
    await expect(required(final.concatenate, 'concatenate').call(final, partials, NEVER)).rejects.toBeInstanceOf(RangeError)
    expect((await reopen(store(), final)).state).toMatchObject({ offset: 0, length: 4 })
  })

  /** Partial uploads holding `contents`, each complete and finished, as the service hands them to `concatenate`. */
  async function finishedPartials<T extends (string | Uint8Array)[]>(...contents: T): Promise<{ [K in keyof T]: StoredUpload }> {
    const partials: StoredUpload[] = []
    for (const content of contents) {
      const partial = await create(store(), { length: content.length, concat: { kind: 'partial' } })
      await partial.append(body(content), NEVER)
      await partial.finish(NEVER)
      partials.push(await reopen(store(), partial))
    }
    return partials as { [K in keyof T]: StoredUpload }
  }
}

function idOf(upload: StoredUpload): string {
  return upload.state.id
}
