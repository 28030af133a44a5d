import { expect, it } from 'vitest'
import { eachTransport } from '../support/http-cases.js'
import { createUpload, download, head, OFFSET_OCTET_STREAM, pathOf, patch, TUS } from '../support/tus.js'
import { createFinal, createPartial, state } from './concat-support.js'

// Extension concatenation (T-50 to T-61, partial uploads complete before the final upload is created).
const b64 = (text: string): string => Buffer.from(text).toString('base64')

eachTransport({}, (context) => {
  it('[T-51] [T-59] [T-61] creates a partial upload whose HEAD has its offset and echoes Upload-Concat: partial', async () => {
    const { gateway, client } = context()
    const url = await createPartial(client, gateway.basePath, 5, 'hel')
    const headers = await state(client, url)
    expect(headers['upload-offset']).toBe('3')
    expect(headers['upload-length']).toBe('5')
    expect(headers['upload-concat']).toBe('partial')
  })

  it('[T-53] [T-55] [T-58] [T-61] makes a final upload of relative URLs: the bytes in order, the summed length, its own metadata', async () => {
    const { gateway, client } = context()
    const a = await createPartial(client, gateway.basePath, 5, 'hello')
    const b = await createPartial(client, gateway.basePath, 6, ' world')
    await patch(client, a, 5, '')
    const partialMetadata = { 'upload-metadata': `filename ${b64('part.bin')}` }
    const withMetadata = await client.request({
      method: 'POST',
      url: gateway.basePath,
      headers: { ...TUS, 'upload-concat': 'partial', 'upload-length': '1', ...partialMetadata },
    })
    const c = withMetadata.headers.location ?? ''
    await patch(client, c, 0, '!')
    const urls = [a, b, c].map(pathOf)
    const created = await createFinal(client, gateway.basePath, urls, { 'upload-metadata': `filename ${b64('greeting.txt')}` })
    expect(created.status, created.text).toBe(201)
    expect(created.headers['upload-offset']).toBe('12')
    const final = created.headers.location ?? ''
    const headers = await state(client, final)
    expect(headers['upload-offset']).toBe('12')
    expect(headers['upload-length']).toBe('12')
    expect(headers['upload-concat']).toBe(`final;${urls.join(' ')}`)
    // T-55: only the final request's metadata; none of the partial uploads'.
    expect(headers['upload-metadata']).toBe(`filename ${b64('greeting.txt')}`)
    const fetched = await download(client, pathOf(final))
    expect(fetched.status).toBe(200)
    expect(fetched.text).toBe('hello world!')
    expect(fetched.headers['content-disposition']).toContain('greeting.txt')
  })

  it('[T-51] [T-61] takes absolute partial upload URLs, as tus-js-client sends them, and echoes them', async () => {
    const { gateway, client } = context()
    const urls = [await createPartial(client, gateway.basePath, 1, 'a'), await createPartial(client, gateway.basePath, 1, 'b')]
    expect(urls[0]).toMatch(/^https?:\/\//)
    const created = await createFinal(client, gateway.basePath, urls)
    expect(created.status, created.text).toBe(201)
    expect((await state(client, created.headers.location ?? ''))['upload-concat']).toBe(`final;${urls.join(' ')}`)
  })

  it('[T-51] takes absolute URLs on another host by their path, as a proxy that rewrote Location hands them out', async () => {
    const { gateway, client } = context()
    const urls = [await createPartial(client, gateway.basePath, 1, 'a'), await createPartial(client, gateway.basePath, 1, 'b')]
    const proxied = urls.map((url) => `http://proxy.example:8080${pathOf(url)}`)
    const created = await createFinal(client, gateway.basePath, proxied)
    expect(created.status, created.text).toBe(201)
    expect((await state(client, created.headers.location ?? ''))['upload-offset']).toBe('2')
  })

  it('[T-56] uses a partial upload twice in one final upload, and again in another', async () => {
    const { gateway, client } = context()
    const a = pathOf(await createPartial(client, gateway.basePath, 2, 'ab'))
    const b = pathOf(await createPartial(client, gateway.basePath, 1, '-'))
    const first = await createFinal(client, gateway.basePath, [a, b, a])
    const second = await createFinal(client, gateway.basePath, [b, a])
    expect([first.status, second.status]).toEqual([201, 201])
    expect((await download(client, pathOf(first.headers.location ?? ''))).text).toBe('ab-ab')
    expect((await download(client, pathOf(second.headers.location ?? ''))).text).toBe('-ab')
    // The partial upload is still there, as it was.
    expect((await state(client, a))['upload-offset']).toBe('2')
  })

  it('[T-57] answers a PATCH to a final upload with 403 and changes neither it nor its partial uploads', async () => {
    const { gateway, client } = context()
    const a = pathOf(await createPartial(client, gateway.basePath, 3, 'abc'))
    const final = pathOf((await createFinal(client, gateway.basePath, [a])).headers.location ?? '')
    for (const offset of [3, 0]) {
      const refused = await patch(client, final, offset, 'xyz')
      expect(refused.status).toBe(403)
    }
    expect(await state(client, final)).toMatchObject({ 'upload-offset': '3', 'upload-length': '3' })
    expect(await state(client, a)).toMatchObject({ 'upload-offset': '3', 'upload-length': '3' })
    expect((await download(client, final)).text).toBe('abc')
  })

  it('[T-53] refuses Upload-Length or Upload-Defer-Length on a final upload with 400', async () => {
    const { gateway, client } = context()
    const a = pathOf(await createPartial(client, gateway.basePath, 1, 'a'))
    for (const headers of [{ 'upload-length': '1' }, { 'upload-defer-length': '1' }] as Record<string, string>[]) {
      const refused = await createFinal(client, gateway.basePath, [a], headers)
      expect(refused.status).toBe(400)
      expect(refused.headers.location).toBeUndefined()
    }
  })

  it('refuses bytes sent with the creation of a final upload with 403', async () => {
    const { gateway, client } = context()
    const a = pathOf(await createPartial(client, gateway.basePath, 1, 'a'))
    const refused = await client.request({
      method: 'POST',
      url: gateway.basePath,
      headers: { ...TUS, 'upload-concat': `final;${a}`, 'content-type': OFFSET_OCTET_STREAM },
      body: 'x',
    })
    expect(refused.status).toBe(403)
    expect(refused.headers.location).toBeUndefined()
  })

  it('[T-51] refuses with 400 an Upload-Concat that is malformed or names anything but partial uploads of this server', async () => {
    const { gateway, client } = context()
    const partial = await createPartial(client, gateway.basePath, 1, 'a')
    const plain = await createUpload(client, gateway.basePath, { length: 1, data: 'a' })
    const unknown = `${gateway.basePath}0123456789abcdef0123456789abcdef`
    const values = [
      'merge',
      'final',
      'final;',
      'partial;x',
      `final;${pathOf(partial).replace(gateway.basePath, '/elsewhere/')}`,
      `final;ftp://elsewhere.example${pathOf(partial)}`,
      `final;${pathOf(partial)} ${pathOf(plain)}`,
      `final;${unknown}`,
    ]
    for (const value of values) {
      const refused = await client.request({ method: 'POST', url: gateway.basePath, headers: { ...TUS, 'upload-concat': value } })
      expect(refused.status, value).toBe(400)
      expect(refused.text).toMatch(/Upload-Concat|partial upload/)
      expect(refused.headers.location).toBeUndefined()
    }
  })

  it('[T-59] HEAD on a partial upload that a final upload uses still has its offset', async () => {
    const { gateway, client } = context()
    const a = pathOf(await createPartial(client, gateway.basePath, 2, 'ok'))
    expect((await createFinal(client, gateway.basePath, [a])).status).toBe(201)
    const response = await head(client, a)
    expect(response.headers['upload-offset']).toBe('2')
    expect(response.headers['upload-concat']).toBe('partial')
  })
})
