import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startGateway } from '../support/gateway.js'
import { eachTransport } from '../support/http-cases.js'
import { transports } from '../support/transports.js'
import { download, pathOf, patch, TUS } from '../support/tus.js'
import { createFinal, createPartial, state } from './concat-support.js'

// Extension concatenation-unfinished (T-54): a final upload may name partial uploads still receiving bytes.
eachTransport({}, (context) => {
  it('[T-54] [T-58] [T-60] accepts a final upload before its partial uploads finish, shows no offset until they do, then offset = length', async () => {
    const { gateway, client } = context()
    const a = pathOf(await createPartial(client, gateway.basePath, 5, 'he'))
    const b = pathOf(await createPartial(client, gateway.basePath, 6))
    const created = await createFinal(client, gateway.basePath, [a, b])
    expect(created.status, created.text).toBe(201)
    expect(created.headers['upload-offset']).toBeUndefined()
    const final = pathOf(created.headers.location ?? '')
    const pending = await state(client, final)
    expect(pending['upload-offset']).toBeUndefined()
    expect(pending['upload-length']).toBe('11')
    expect(pending['upload-concat']).toBe(`final;${a} ${b}`)
    // Not finished: nothing to download yet.
    expect((await download(client, final)).status).not.toBe(200)
    expect((await patch(client, b, 0, ' world')).status).toBe(204)
    expect((await state(client, final))['upload-offset']).toBeUndefined()
    expect((await patch(client, a, 2, 'llo')).status).toBe(204)
    const done = await state(client, final)
    expect(done['upload-offset']).toBe('11')
    expect(done['upload-length']).toBe('11')
    expect((await download(client, final)).text).toBe('hello world')
  })

  it('[T-54] refuses with 409 to remove a partial upload a pending final upload needs, and removes it once the final one is gone', async () => {
    const { gateway, client } = context()
    const a = pathOf(await createPartial(client, gateway.basePath, 2, 'ab'))
    const b = pathOf(await createPartial(client, gateway.basePath, 3))
    const final = pathOf((await createFinal(client, gateway.basePath, [a, b])).headers.location ?? '')
    const remove = (url: string) => client.request({ method: 'DELETE', url, headers: TUS })
    const refused = await remove(b)
    expect(refused.status, refused.text).toBe(409)
    expect(refused.text).toContain('not complete yet')
    // B is still there, and completing it completes the final upload.
    expect((await patch(client, b, 0, 'cde')).status).toBe(204)
    expect((await download(client, final)).text).toBe('abcde')
    // Complete, the final upload needs its parts no more; a pending one removed frees them too.
    expect((await remove(a)).status).toBe(204)
    const c = pathOf(await createPartial(client, gateway.basePath, 1))
    const other = pathOf((await createFinal(client, gateway.basePath, [c])).headers.location ?? '')
    expect((await remove(c)).status).toBe(409)
    expect((await remove(other)).status).toBe(204)
    expect((await remove(c)).status).toBe(204)
  })

  it('[T-60] shows the final length once every partial upload has declared its own', async () => {
    const { gateway, client } = context()
    const a = pathOf(await createPartial(client, gateway.basePath, undefined, 'abc'))
    const b = pathOf(await createPartial(client, gateway.basePath, 2, 'de'))
    const final = pathOf((await createFinal(client, gateway.basePath, [a, b])).headers.location ?? '')
    const unknown = await state(client, final)
    expect(unknown['upload-length']).toBeUndefined()
    expect(unknown['upload-offset']).toBeUndefined()
    // The length of the partial upload is declared with its last bytes.
    expect((await patch(client, a, 3, '!', { 'upload-length': '4' })).status).toBe(204)
    expect(await state(client, final)).toMatchObject({ 'upload-length': '6', 'upload-offset': '6' })
    expect((await download(client, final)).text).toBe('abc!de')
  })
})

describe('concatenation-unfinished across a restart', () => {
  it('[T-54] finishes a final upload when its partial uploads complete after the gateway restarted', async () => {
    const uploadDir = await mkdtemp(join(tmpdir(), 'rg-concat-restart-'))
    const transport = transports[0]
    if (transport === undefined) throw new Error('no transport')
    try {
      const before = await startGateway({ uploadDir })
      const first = transport.connect(before)
      const a = pathOf(await createPartial(first, before.basePath, 4, 'ab'))
      const final = pathOf((await createFinal(first, before.basePath, [a, a])).headers.location ?? '')
      await first.close()
      await before.close()
      const after = await startGateway({ uploadDir })
      const second = transport.connect(after)
      try {
        expect((await state(second, final))['upload-offset']).toBeUndefined()
        expect((await patch(second, a, 2, 'cd')).status).toBe(204)
        expect(await state(second, final)).toMatchObject({ 'upload-offset': '8', 'upload-length': '8' })
        expect((await download(second, final)).text).toBe('abcdabcd')
      } finally {
        await second.close()
        await after.close()
      }
    } finally {
      await rm(uploadDir, { recursive: true, force: true })
    }
  })
})
