import { expect } from 'vitest'
import { NEVER, body, create, expectFinishedContent, failing, pseudoRandomBytes, reopen, required, stalling, type Suite } from './support.js'

/** Tests of appending bytes, keeping what arrived when a body fails or a signal aborts, and rolling back. */
export function appendTests({ test, store }: Suite): void {
  test('appends in several pieces, each resolving with the new state', async () => {
    const upload = await create(store(), { length: 11 })
    expect(await upload.append(body('hel', 'lo'), NEVER)).toMatchObject({ offset: 5, length: 11 })
    expect(upload.state.offset).toBe(5)
    expect((await reopen(store(), upload)).state.offset).toBe(5)
    // A plain Uint8Array (not a Buffer) and an empty chunk are bytes like any others.
    expect((await upload.append(body(new TextEncoder().encode(' '), new Uint8Array(0)), NEVER)).offset).toBe(6)
    const again = await reopen(store(), upload)
    expect((await again.append(body('world'), NEVER)).offset).toBe(11)
    expect((await reopen(store(), upload)).state).toMatchObject({ offset: 11, length: 11 })
    await expectFinishedContent(store(), again, 'hello world')
  })

  test('appends an empty body without changing the offset', async () => {
    const upload = await create(store(), { length: 4 })
    await upload.append(body('ab'), NEVER)
    expect((await upload.append(body(), NEVER)).offset).toBe(2)
    expect((await reopen(store(), upload)).state.offset).toBe(2)
  })

  test('keeps the bytes a body yielded before it threw, and rethrows its error', async () => {
    const upload = await create(store(), { length: 20 })
    await upload.append(body('0123'), NEVER)
    const failure = new Error('client went away')
    await expect(upload.append(failing(failure, 'abc', 'def', 'gh'), NEVER)).rejects.toBe(failure)
    expect(upload.state.offset).toBe(12)
    const opened = await reopen(store(), upload)
    expect(opened.state.offset).toBe(12)
    // The upload resumes from there.
    expect((await opened.append(body('ijklmnop'), NEVER)).offset).toBe(20)
    await expectFinishedContent(store(), opened, '0123abcdefghijklmnop')
  })

  test('keeps every byte of a long burst of chunks that ends in a throw', async () => {
    const chunks = Array.from({ length: 256 }, (_, i) => new Uint8Array(4096).fill(i))
    const upload = await create(store(), { length: 256 * 4096 + 1 })
    const failure = new Error('reset')
    await expect(upload.append(failing(failure, ...chunks), NEVER)).rejects.toBe(failure)
    const opened = await reopen(store(), upload)
    expect(opened.state.offset).toBe(256 * 4096)
    await opened.append(body('!'), NEVER)
    await expectFinishedContent(store(), opened, Buffer.concat([...chunks, Buffer.from('!')]))
  })

  test('keeps the bytes of a body that ends before the upload is complete', async () => {
    const upload = await create(store(), { length: 100 })
    expect((await upload.append(body('x'.repeat(40)), NEVER)).offset).toBe(40)
    expect((await reopen(store(), upload)).state).toMatchObject({ offset: 40, length: 100 })
    expect((await upload.append(body('y'.repeat(10)), NEVER)).offset).toBe(50)
    const opened = await reopen(store(), upload)
    expect(opened.state).toMatchObject({ offset: 50, length: 100 })
    await opened.append(body('z'.repeat(50)), NEVER)
    await expectFinishedContent(store(), opened, 'x'.repeat(40) + 'y'.repeat(10) + 'z'.repeat(50))
  })

  test('stores 5 MiB sent in many small chunks byte for byte', async () => {
    const size = 5 * 1024 * 1024
    const data = pseudoRandomBytes(size)
    const upload = await create(store(), { length: size })
    // Chunk sizes from 1 to 4093 bytes: roughly 2,500 chunks, none aligned to anything.
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let at = 0, n = 0; at < size; n++) {
        const length = 1 + ((n * 7919) % 4093)
        yield data.subarray(at, Math.min(size, at + length))
        at += length
      }
    }
    expect((await upload.append(pieces(), NEVER)).offset).toBe(size)
    expect((await reopen(store(), upload)).state).toMatchObject({ offset: size, length: size })
    await expectFinishedContent(store(), upload, data)
  })

  test('stops when its signal aborts, also while the body waits, keeps what arrived and resolves', async () => {
    const upload = await create(store(), { length: 10 })
    const controller = new AbortController()
    // The body hands over 6 bytes, then the request is asked to let go while its client sends nothing.
    const state = await upload.append(stalling(controller, 'abc', 'def'), controller.signal)
    expect(state.offset).toBe(6)
    const opened = await reopen(store(), upload)
    expect(opened.state.offset).toBe(6)
    await opened.append(body('ghij'), NEVER)
    await expectFinishedContent(store(), opened, 'abcdefghij')
  })

  test('resolves without failing when its signal is aborted before it starts, reporting what it stored', async () => {
    const upload = await create(store(), { length: 6 })
    const controller = new AbortController()
    controller.abort(new Error('shutting down'))
    const state = await upload.append(body('abc', 'def'), controller.signal)
    const opened = await reopen(store(), upload)
    expect(opened.state.offset).toBe(state.offset)
    await opened.append(body('abcdef'.slice(state.offset)), NEVER)
    await expectFinishedContent(store(), opened, 'abcdef')
  })

  test('rolls back the last append only, and appends go on from there', async ({ skip }) => {
    skip(!store().capabilities.rollBack, 'the store does not roll back')
    const upload = await create(store(), { length: 6 })
    await upload.append(body('abc'), NEVER)
    await upload.append(body('X', 'YZ'), NEVER)
    expect(await required(upload.rollBack, 'rollBack').call(upload, NEVER)).toMatchObject({ offset: 3, length: 6 })
    expect(upload.state.offset).toBe(3)
    expect((await reopen(store(), upload)).state.offset).toBe(3)
    expect((await upload.append(body('def'), NEVER)).offset).toBe(6)
    await expectFinishedContent(store(), upload, 'abcdef')
  })

  test('rolls back an append whose body threw, dropping the bytes it kept', async ({ skip }) => {
    skip(!store().capabilities.rollBack, 'the store does not roll back')
    const upload = await create(store(), { length: 6 })
    await upload.append(body('abc'), NEVER)
    // A checksum that fails at the end of the body: the bytes before it count for nothing.
    await expect(upload.append(failing(new Error('checksum mismatch'), 'XY', 'Z'), NEVER)).rejects.toThrow('checksum')
    expect(upload.state.offset).toBe(6)
    await required(upload.rollBack, 'rollBack').call(upload, NEVER)
    const opened = await reopen(store(), upload)
    expect(opened.state.offset).toBe(3)
    await opened.append(body('def'), NEVER)
    await expectFinishedContent(store(), opened, 'abcdef')
  })

  test('rolls back nothing on a handle that appended nothing, and nothing more when asked twice', async ({ skip }) => {
    skip(!store().capabilities.rollBack, 'the store does not roll back')
    const upload = await create(store(), { length: 9 })
    await upload.append(body('abc'), NEVER)
    const fresh = await reopen(store(), upload)
    expect((await required(fresh.rollBack, 'rollBack').call(fresh, NEVER)).offset).toBe(3)
    await fresh.append(body('def'), NEVER)
    await fresh.append(body('ghi'), NEVER)
    const rollBack = required(fresh.rollBack, 'rollBack').bind(fresh)
    expect((await rollBack(NEVER)).offset).toBe(6)
    expect((await rollBack(NEVER)).offset).toBe(6)
    expect((await reopen(store(), upload)).state.offset).toBe(6)
  })
}
