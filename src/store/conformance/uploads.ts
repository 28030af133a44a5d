import { expect } from 'vitest'
import { UploadNotFound } from '../../model/errors.js'
import { isComplete } from '../../model/upload.js'
import { NEVER, appendFresh, body, create, expectFinishedContent, newId, pause, reopen, required, type Suite } from './support.js'

// Ids no store can take: none of them is one safe URL path segment.
const NEVER_IDS = ['', '.', '..', 'a/b', '../x', '/x', 'x/', 'x\u0000y']

/** Tests of creating, opening, changing, finishing, removing and listing uploads. */
export function uploadTests({ test, store }: Suite): void {
  test('declares each optional method exactly when its capabilities say so', async () => {
    const { capabilities } = store()
    const upload = await create(store(), { length: 1 })
    expect({
      terminate: upload.terminate !== undefined,
      read: upload.read !== undefined,
      rollBack: upload.rollBack !== undefined,
      concat: upload.concatenate !== undefined,
      expire: store().list !== undefined,
    }).toEqual({
      terminate: capabilities.terminate,
      read: capabilities.read,
      rollBack: capabilities.rollBack,
      concat: capabilities.concat,
      expire: capabilities.expire,
    })
    for (const limit of [capabilities.minPartSize, capabilities.maxSize]) {
      if (limit !== undefined) expect(Number.isSafeInteger(limit) && limit > 0, `limit ${limit}`).toBe(true)
    }
  })

  test('creates an upload at offset 0 whose metadata round-trips, null values, unicode and lone surrogates included', async () => {
    // A lone surrogate stands for a byte that was not UTF-8 (model/upload.ts, Metadata).
    const metadata = { filename: 'résumé 履歴書 📄.pdf', filetype: 'application/pdf', empty: '', flag: null, raw: 'a\udc80\udcffb' }
    const before = Date.now()
    const created = await create(store(), { length: 42, metadata })
    const { id } = created.state
    expect(store().isValidId(id)).toBe(true)
    expect(created.state).toMatchObject({ offset: 0, length: 42, metadata })
    const opened = await reopen(store(), id)
    expect(opened.state).toMatchObject({ id, offset: 0, length: 42, metadata })
    // null (a key without value) and "" are different values and must both survive.
    expect(opened.state.metadata['flag']).toBeNull()
    expect(opened.state.metadata['empty']).toBe('')
    expect(Object.keys(opened.state.metadata).sort()).toEqual(['empty', 'filename', 'filetype', 'flag', 'raw'])
    expect(opened.state.createdAt).toBe(created.state.createdAt)
    if (opened.state.createdAt !== undefined) {
      expect(opened.state.createdAt).toBeGreaterThanOrEqual(before)
      expect(opened.state.createdAt).toBeLessThanOrEqual(Date.now())
    }
    expect(opened.finished).toBe(false)
  })

  test('creates an upload without metadata, and keeps the digests given at creation', async () => {
    const digests = { expected: { 'sha-256': 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=' }, wanted: ['sha-512'] }
    const plain = await create(store(), { length: 1 })
    const digested = await create(store(), { length: 1, digests })
    expect((await reopen(store(), plain)).state.metadata).toEqual({})
    expect((await reopen(store(), digested)).state.digests).toEqual(digests)
  })

  test('keeps uploads apart', async () => {
    const a = await create(store(), { length: 3, metadata: { name: 'a' } })
    const b = await create(store(), { length: 5, metadata: { name: 'b' } })
    expect(a.state.id).not.toBe(b.state.id)
    await a.append(body('abc'), NEVER)
    expect((await reopen(store(), a)).state).toMatchObject({ offset: 3, length: 3, metadata: { name: 'a' } })
    expect((await reopen(store(), b)).state).toMatchObject({ offset: 0, length: 5, metadata: { name: 'b' } })
  })

  test('gives a wanted id that is taken to no second upload: it refuses it, or extends it to another id', async () => {
    const first = await create(store(), { length: 3 })
    await first.append(body('abc'), NEVER)
    const wanted = { id: first.state.id, length: 9, metadata: { second: 'yes' } }
    const second = await store().create(wanted, NEVER).catch(() => undefined)
    if (second !== undefined) expect(second.state.id).not.toBe(first.state.id)
    expect((await reopen(store(), first)).state).toMatchObject({ offset: 3, length: 3, metadata: {} })
  })

  test('refuses an invalid id or length at creation with RangeError', async () => {
    for (const id of NEVER_IDS) await expect(store().create({ id, metadata: {} }, NEVER), JSON.stringify(id)).rejects.toBeInstanceOf(RangeError)
    for (const length of [-1, 1.5, Number.NaN, 2 ** 53]) {
      await expect(store().create({ id: newId(), length, metadata: {} }, NEVER), `${length}`).rejects.toBeInstanceOf(RangeError)
    }
  })

  test('reports an unknown id as UploadNotFound', async () => {
    await expect(store().open(newId(), NEVER)).rejects.toBeInstanceOf(UploadNotFound)
  })

  test('refuses ids that are not one safe path segment, and reports every id it refuses as UploadNotFound', async () => {
    const upload = await create(store(), { length: 4 })
    await upload.append(body('data'), NEVER)
    const { id } = upload.state
    for (const bad of NEVER_IDS) expect(store().isValidId(bad), JSON.stringify(bad)).toBe(false)
    const candidates = [...NEVER_IDS, `../${id}`, `${id}/`, `${id}.info`, 'abc.info', '%2F', `${id}\\`, ' ', `${id}\u0000`, 'x'.repeat(4096)]
    for (const bad of candidates.filter((candidate) => !store().isValidId(candidate))) {
      await expect(store().open(bad, NEVER), JSON.stringify(bad)).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND', id: bad })
    }
    // None of those touched the real upload.
    expect((await reopen(store(), id)).state).toMatchObject({ id, offset: 4, length: 4 })
  })

  test('rejects with the reason of an aborted signal, changing nothing', async () => {
    const controller = new AbortController()
    const reason = new Error('shutting down')
    controller.abort(reason)
    const upload = await create(store())
    await expect(store().create({ id: newId(), metadata: {} }, controller.signal)).rejects.toBe(reason)
    await expect(store().open(upload.state.id, controller.signal)).rejects.toBe(reason)
    await expect(upload.update({ completionPending: true }, controller.signal)).rejects.toBe(reason)
    expect((await reopen(store(), upload)).state.completionPending).toBeFalsy()
  })

  test('stores a zero-length upload, complete at once', async () => {
    const upload = await create(store(), { length: 0 })
    expect(upload.state).toMatchObject({ offset: 0, length: 0 })
    expect(isComplete(upload.state)).toBe(true)
    await expectFinishedContent(store(), upload, '')
    expect((await reopen(store(), upload)).finished).toBe(true)
  })

  test('finishes a complete upload: finished from then on, finishing again changes nothing', async () => {
    const upload = await create(store(), { length: 5, metadata: { name: 'five' } })
    await upload.append(body('12345'), NEVER)
    const finished = await upload.finish(NEVER)
    expect(finished).toMatchObject({ offset: 5, length: 5, metadata: { name: 'five' } })
    expect(upload.finished).toBe(true)
    expect(await upload.finish(NEVER)).toEqual(finished)
    const opened = await reopen(store(), upload)
    expect(opened.finished).toBe(true)
    expect(await opened.finish(NEVER)).toMatchObject({ offset: 5, length: 5 })
    await expectFinishedContent(store(), opened, '12345')
  })

  test('is finished only when complete', async () => {
    const upload = await create(store(), { length: 4 })
    for (const handle of [upload, await appendFresh(store(), upload, 'ab'), await reopen(store(), upload)]) {
      expect(handle.finished).toBe(false)
    }
    const done = await appendFresh(store(), upload, 'cd')
    await done.finish(NEVER)
    expect(done.finished && isComplete(done.state)).toBe(true)
  })

  test('defers the length, then declares it with update', async ({ skip }) => {
    skip(!store().capabilities.deferLength, 'the store does not defer lengths')
    const upload = await create(store(), { metadata: { filename: 'later.bin' } })
    expect(upload.state.length).toBeUndefined()
    expect(await upload.append(body('12345'), NEVER)).toMatchObject({ offset: 5 })
    const opened = await reopen(store(), upload)
    expect(opened.state).toMatchObject({ offset: 5, metadata: { filename: 'later.bin' } })
    expect(opened.state.length).toBeUndefined()
    expect(await opened.update({ length: 8 }, NEVER)).toMatchObject({ offset: 5, length: 8, metadata: { filename: 'later.bin' } })
    expect(opened.state).toMatchObject({ offset: 5, length: 8 })
    const declared = await reopen(store(), upload)
    expect(declared.state).toMatchObject({ offset: 5, length: 8, metadata: { filename: 'later.bin' } })
    await declared.append(body('678'), NEVER)
    await expectFinishedContent(store(), declared, '12345678')
  })

  test('refuses a bad length with RangeError: not a byte count, below the offset, or another than the one known', async () => {
    const known = await create(store(), { length: 5 })
    await expect(known.update({ length: 6 }, NEVER)).rejects.toBeInstanceOf(RangeError)
    expect(await known.update({ length: 5 }, NEVER)).toMatchObject({ length: 5 })
    if (!store().capabilities.deferLength) return
    const deferred = await create(store())
    await deferred.append(body('abc'), NEVER)
    for (const length of [2, -1, 3.5]) await expect(deferred.update({ length }, NEVER), `${length}`).rejects.toBeInstanceOf(RangeError)
    expect((await reopen(store(), deferred)).state.length).toBeUndefined()
  })

  test('records and clears completionPending; a pending upload is not complete', async () => {
    const upload = await create(store(), { length: 2 })
    await upload.append(body('ab'), NEVER)
    expect(await upload.update({ completionPending: true }, NEVER)).toMatchObject({ offset: 2, length: 2, completionPending: true })
    const pending = await reopen(store(), upload)
    expect(pending.state.completionPending).toBe(true)
    expect(isComplete(pending.state)).toBe(false)
    expect(pending.finished).toBe(false)
    expect((await pending.update({ completionPending: false }, NEVER)).completionPending).toBeFalsy()
    const completed = await reopen(store(), upload)
    expect(completed.state.completionPending).toBeFalsy()
    await expectFinishedContent(store(), completed, 'ab')
  })

  test('keeps the target an upload is delivered to (upstream mode), and records its delivery once finished', async () => {
    const target = {
      method: 'PUT',
      uri: '/api/photos/7?draft=1&x=%2F',
      headers: { authorization: 'Bearer abc', cookie: 'a=1; b=2', 'content-type': 'image/jpeg', 'x-custom': 'é, ü' },
      host: 'app.example:8080',
      scheme: 'https' as const,
      remoteAddress: '192.0.2.7',
    }
    const plain = await create(store(), { length: 1 })
    const upload = await create(store(), { length: 2, target })
    expect((await reopen(store(), plain)).state.target).toBeUndefined()
    expect((await reopen(store(), upload)).state).toMatchObject({ target })
    await upload.append(body('ab'), NEVER)
    await upload.finish(NEVER)
    expect((await reopen(store(), upload)).state.delivered).toBeFalsy()
    expect(await upload.update({ delivered: true }, NEVER)).toMatchObject({ target, delivered: true })
    const delivered = await reopen(store(), upload)
    expect(delivered.state).toMatchObject({ target, delivered: true, offset: 2, length: 2 })
    await expectFinishedContent(store(), delivered, 'ab')
  })

  test('records which final uploads await a partial upload, replacing the list, also once it is finished', async () => {
    const upload = await create(store(), { length: 1, concat: { kind: 'partial' } })
    expect((await upload.update({ awaitedBy: ['final-1'] }, NEVER)).awaitedBy).toEqual(['final-1'])
    expect((await reopen(store(), upload)).state.awaitedBy).toEqual(['final-1'])
    const done = await appendFresh(store(), upload, 'x')
    await done.finish(NEVER)
    expect((await done.update({ awaitedBy: ['final-1', 'final-2'] }, NEVER)).awaitedBy).toEqual(['final-1', 'final-2'])
    const opened = await reopen(store(), upload)
    expect(opened.state.awaitedBy).toEqual(['final-1', 'final-2'])
    expect(opened.finished).toBe(true)
    await opened.update({ awaitedBy: [] }, NEVER)
    expect((await reopen(store(), upload)).state.awaitedBy ?? []).toEqual([])
  })

  test('keeps what an update does not change', async () => {
    const digests = { wanted: ['sha-256'] }
    const concat = { kind: 'partial' } as const
    const upload = await create(store(), { length: 3, metadata: { a: '1', b: null }, concat, digests })
    await upload.append(body('ab'), NEVER)
    await upload.update({ awaitedBy: ['f'] }, NEVER)
    await upload.update({ completionPending: true }, NEVER)
    const opened = await reopen(store(), upload)
    expect(opened.state).toEqual({ ...upload.state, updatedAt: opened.state.updatedAt })
    expect(opened.state).toMatchObject({ offset: 2, length: 3, metadata: { a: '1', b: null }, concat, digests, awaitedBy: ['f'], completionPending: true })
  })

  test('gives each handle the state it read, then what its own calls left', async () => {
    const upload = await create(store(), { length: 6 })
    const first = await reopen(store(), upload)
    const second = await reopen(store(), upload)
    expect(await first.append(body('abc'), NEVER)).toEqual(first.state)
    expect(first.state.offset).toBe(3)
    expect(second.state.offset).toBe(0)
    const third = await reopen(store(), upload)
    expect(third.state.offset).toBe(3)
    expect(await third.update({ completionPending: true }, NEVER)).toEqual(third.state)
    expect(third.state).toMatchObject({ offset: 3, completionPending: true })
  })

  test('terminates an upload, after which it is not found through any handle', async ({ skip }) => {
    skip(!store().capabilities.terminate, 'the store does not terminate')
    const upload = await create(store(), { length: 6 })
    const other = await create(store(), { length: 3 })
    await upload.append(body('abc'), NEVER)
    const stale = await reopen(store(), upload)
    await required(upload.terminate, 'terminate').call(upload, NEVER)
    await expect(reopen(store(), upload)).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND', id: upload.state.id })
    await expect(required(stale.terminate, 'terminate').call(stale, NEVER)).rejects.toBeInstanceOf(UploadNotFound)
    await expect(stale.append(body('d'), NEVER)).rejects.toBeInstanceOf(UploadNotFound)
    await expect(stale.update({ completionPending: true }, NEVER)).rejects.toBeInstanceOf(UploadNotFound)
    // A terminated upload does not come back through a late handle.
    await expect(reopen(store(), upload)).rejects.toBeInstanceOf(UploadNotFound)
    expect((await reopen(store(), other)).state.offset).toBe(0)
  })

  test('lists every upload once', async ({ skip }) => {
    skip(!store().capabilities.expire, 'the store does not list (no expiration)')
    const uploads = [await create(store(), { length: 1 }), await create(store()), await create(store(), { length: 0 })]
    await uploads[0]?.append(body('x'), NEVER)
    const listed: string[] = []
    for await (const id of required(store().list, 'list').call(store(), NEVER)) listed.push(id)
    expect(listed.sort()).toEqual(uploads.map((upload) => upload.state.id).sort())
  })

  test('reports when an upload was created and last written; updatedAt moves with the bytes, createdAt stays', async ({ skip }) => {
    skip(!store().capabilities.expire, 'the store does not expire uploads')
    // File systems stamp times from a coarse clock, a little behind Date.now().
    const slack = 1000
    const before = Date.now()
    const created = await create(store(), { length: 8 })
    for (const state of [created.state, (await reopen(store(), created)).state]) {
      expect(state.updatedAt).toBeGreaterThanOrEqual(before - slack)
      expect(state.updatedAt).toBeLessThanOrEqual(Date.now() + slack)
    }
    let last = required(created.state.updatedAt, 'updatedAt')
    for (const part of ['ab', 'cd', 'efgh']) {
      // Longer than any file system's clock tick, so that two writes get two times.
      await pause(30)
      const handle = await appendFresh(store(), created, part)
      const updatedAt = required((await reopen(store(), handle)).state.updatedAt, 'updatedAt')
      expect(updatedAt).toBeGreaterThan(last)
      last = updatedAt
    }
    const done = await reopen(store(), created)
    await done.finish(NEVER)
    await done.update({ awaitedBy: ['x'] }, NEVER)
    expect((await reopen(store(), created)).state.createdAt).toBe(created.state.createdAt)
  })
}
