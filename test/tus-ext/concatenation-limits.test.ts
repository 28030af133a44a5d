import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { eachTransport } from '../support/http-cases.js'
import { download, head, pathOf, patch } from '../support/tus.js'
import { createFinal, createPartial } from './concat-support.js'

const MAX_SIZE = 1000

// --max-size holds for final uploads too, also when their length is only known once a partial upload that
// deferred its length declares it. Without that, one partial upload of the maximum size, named hundreds of
// times by a final upload (a 16 KiB header holds ~400 ids), made the gateway copy 400 times the maximum size.
eachTransport({ maxSize: MAX_SIZE }, (context) => {
  it('[T-34] answers 413 for a final upload whose deferred partial uploads add up to more than --max-size, and never joins it', async () => {
    const { gateway, client } = context()
    const part = pathOf(await createPartial(client, gateway.basePath, undefined))
    const created = await createFinal(client, gateway.basePath, Array.from({ length: 50 }, () => part))
    expect(created.status, created.text).toBe(201)
    const final = pathOf(created.headers.location ?? '')
    // The partial upload completes within the limit; the final upload would be 50 times larger.
    const declared = await patch(client, part, 0, Buffer.alloc(MAX_SIZE, 1), { 'upload-length': String(MAX_SIZE) })
    expect(declared.status, declared.text).toBe(204)
    const state = await head(client, final)
    expect(state.status).toBe(413)
    expect(state.headers['upload-offset']).toBeUndefined()
    expect((await download(client, final)).status).toBe(413)
    // Nothing in the upload directory grew past the maximum size.
    const sizes = await Promise.all((await readdir(gateway.uploadDir)).map(async (name) => (await stat(join(gateway.uploadDir, name))).size))
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_SIZE + 16 * 1024)
  })
})

// Without --max-size a final upload is still bounded: one 4 MiB partial upload named 380 times once made the
// gateway write 1.59 GB for a single request (issue 10). Both limits answer before any byte is copied.
eachTransport({ maxPartialUploads: 8, maxFinalSize: 3000 }, (context) => {
  it('[T-51] refuses a final upload naming more partial uploads than --max-partial-uploads with 400, repeats counted', async () => {
    const { gateway, client } = context()
    const part = pathOf(await createPartial(client, gateway.basePath, 10))
    const refused = await createFinal(client, gateway.basePath, Array.from({ length: 9 }, () => part))
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('at most 8 partial uploads')
    expect((await createFinal(client, gateway.basePath, Array.from({ length: 8 }, () => part))).status).toBe(201)
  })

  it('[T-34] refuses a final upload larger than --max-final-size with 413 before copying anything', async () => {
    const { gateway, client } = context()
    const part = pathOf(await createPartial(client, gateway.basePath, 1000))
    expect((await patch(client, part, 0, Buffer.alloc(1000, 2))).status).toBe(204)
    const before = await readdir(gateway.uploadDir)
    const refused = await createFinal(client, gateway.basePath, [part, part, part, part])
    expect(refused.status, refused.text).toBe(413)
    expect(await readdir(gateway.uploadDir)).toEqual(before)
  })
})
