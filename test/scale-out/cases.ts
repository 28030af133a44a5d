import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, it } from 'vitest'
import type { Cluster } from './cluster.js'
import { create, download, idOf, madeByNginx, MiB, openPatch, patch, send, sha256, uploadWithTusJs, type Seen } from './clients.js'

/** The URL of an upload on one gateway of the cluster, bypassing nginx. */
export function onGateway(cluster: Cluster, index: number, url: string): string {
  const gateway = cluster.gateways[index]
  if (gateway === undefined) throw new Error(`no gateway ${index}`)
  return new URL(new URL(url).pathname, gateway.origin).href
}

/** Expects every gateway of the cluster to have served at least one `method` request of `url`'s upload. */
function expectSpread(cluster: Cluster, url: string, method: string): void {
  const counts = cluster.requestsFor(idOf(url)).map((byMethod) => byMethod[method] ?? 0)
  expect(counts.every((count) => count > 0), `${method} requests per gateway: ${counts.join(', ')}`).toBe(true)
}

/**
 * Cases 1 to 4 of issue 13, for a cluster of three gateways behind nginx sharing a store and a locker:
 * clients whose requests land on every gateway in turn, a stalled PATCH released from another gateway,
 * 20 clients racing for one upload, and the kill -9 of the gateway holding an upload.
 */
export function scaleOutCases(cluster: () => Cluster): void {
  it('case 1: tus-js-client in 1 MiB chunks, every request on the next gateway, byte-identical through GET', async () => {
    const data = randomBytes(6 * MiB + 5)
    const { url, seen } = await uploadWithTusJs(data, { endpoint: cluster().url, chunkSize: MiB })
    expect(sha256(await download(url))).toBe(sha256(data))
    expectSpread(cluster(), url, 'PATCH')
    expect(seen.filter((answer) => answer.status >= 400)).toEqual([])
  })

  it('case 1: a draft client (tus-js-client, ietf-draft-05) in 1 MiB appends, every request on the next gateway', async () => {
    const data = randomBytes(5 * MiB + 7)
    const { url, seen } = await uploadWithTusJs(data, { endpoint: cluster().url, chunkSize: MiB, protocol: 'ietf-draft-05' })
    expect(sha256(await download(url))).toBe(sha256(data))
    expectSpread(cluster(), url, 'PATCH')
    expect(seen.filter((answer) => answer.status >= 400)).toEqual([])
  })

  it('case 1: tus-js-client with parallelUploads (concatenation): partial and final uploads on every gateway', async () => {
    const data = randomBytes(6 * MiB + 3)
    const { url } = await uploadWithTusJs(data, { endpoint: cluster().url, chunkSize: MiB, parallelUploads: 3 })
    expect(sha256(await download(url))).toBe(sha256(data))
  })

  it('case 1: a final upload created before its partial uploads finish is completed whichever gateways finish them', async () => {
    const [first, second] = [randomBytes(MiB), randomBytes(MiB + 9)]
    const partial = { 'upload-concat': 'partial' }
    const p1 = await create(onGateway(cluster(), 0, cluster().url), first.length, partial)
    const p2 = await create(onGateway(cluster(), 1, cluster().url), second.length, partial)
    expect((await patch(onGateway(cluster(), 2, p1), 0, first.subarray(0, 1000))).status).toBe(204)
    // tus concatenation-unfinished: the final upload names partial uploads still receiving bytes.
    const final = await create(onGateway(cluster(), 0, cluster().url), undefined, { 'upload-concat': `final;${new URL(p1).pathname} ${new URL(p2).pathname}` })
    expect((await patch(onGateway(cluster(), 1, p1), 1000, first.subarray(1000))).status).toBe(204)
    expect((await patch(onGateway(cluster(), 2, p2), 0, second)).status).toBe(204)
    for (const index of cluster().gateways.keys()) {
      const head = await send('HEAD', onGateway(cluster(), index, final))
      expect(head.status, `HEAD on gateway ${index}`).toBe(200)
      expect(head.headers['upload-offset'], `HEAD on gateway ${index}`).toBe(String(first.length + second.length))
    }
    expect(sha256(await download(final))).toBe(sha256(Buffer.concat([first, second])))
  })

  it('case 2: a PATCH stalls on gateway A; a HEAD on gateway B answers with the offset A received, and A keeps its bytes', async () => {
    const source = randomBytes(MiB)
    const url = await create(cluster().url, 10 * MiB)
    const stalled = openPatch(onGateway(cluster(), 0, url), 0, 10 * MiB)
    await stalled.write(source)
    // Long enough for A to have read what was sent; nothing here waits on a timeout of the gateway.
    await sleep(300)
    const started = performance.now()
    const head = await send('HEAD', onGateway(cluster(), 1, url))
    const tookMs = performance.now() - started
    expect(head.status).toBe(200)
    expect(head.headers['upload-offset']).toBe(String(MiB))
    const ended = await stalled.ended
    expect(ended.status).toBe(400)
    expect(ended.body).toContain(`${MiB} bytes are stored`)
    stalled.destroy()
    // The rest of the upload goes on through nginx, from the offset B reported.
    const rest = randomBytes(9 * MiB)
    expect((await patch(url, MiB, rest)).status).toBe(204)
    expect(sha256(await download(url))).toBe(sha256(Buffer.concat([source, rest])))
    process.stdout.write(`scale-out case 2: HEAD on B answered in ${tookMs.toFixed(1)} ms\n`)
  })

  it('case 2 through nginx: a HEAD for an upload whose PATCH stalls on another gateway gets its offset', async () => {
    const url = await create(cluster().url, 4 * MiB)
    const stalled = openPatch(url, 0, 4 * MiB)
    await stalled.write(Buffer.alloc(256 * 1024, 1))
    await sleep(300)
    const head = await send('HEAD', url)
    expect(head.status).toBe(200)
    expect(head.headers['upload-offset']).toBe(String(256 * 1024))
    stalled.destroy()
  })

  it('case 3: 20 tus-js-client instances resume one upload through nginx at once: one writes at a time, no byte corrupted, every answer the gateway\'s own', async () => {
    const data = randomBytes(8 * MiB)
    const url = await create(cluster().url, data.length)
    const runs = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        uploadWithTusJs(data, {
          uploadUrl: url,
          chunkSize: MiB,
          // A request interrupted for another client's (400) is worth another try, as for a 409 or 423.
          onShouldRetry: () => true,
          retryDelays: [0, 50, 100, 200, 300, 500, 500, 1000, 1000, 1000, 1000, 1000, 2000, 2000, 2000],
        }),
      ),
    )
    const seen = runs.flatMap((run) => (run.status === 'fulfilled' ? run.value.seen : ((run.reason as { seen?: Seen[] }).seen ?? [])))
    const statuses: Record<string, number> = {}
    for (const answer of seen) statuses[`${answer.method} ${answer.status}`] = (statuses[`${answer.method} ${answer.status}`] ?? 0) + 1
    process.stdout.write(`scale-out case 3: answers ${JSON.stringify(statuses)}\n`)
    expect(sha256(await download(url))).toBe(sha256(data))
    // They did race: some requests found another client's request in their way.
    expect(seen.some((answer) => [400, 409, 423].includes(answer.status)), JSON.stringify(statuses)).toBe(true)
    expect(seen.filter(madeByNginx), JSON.stringify(statuses)).toEqual([])
    expect(runs.filter((run) => run.status === 'rejected').map((run) => String((run as PromiseRejectedResult).reason))).toEqual([])
  }, 120_000)

  it('case 4: kill -9 of the gateway holding an upload mid-PATCH: tus-js-client resumes through another gateway, byte-identical', async () => {
    const data = randomBytes(8 * MiB)
    const url = await create(cluster().url, data.length)
    const last = cluster().gateways.length - 1
    const stalled = openPatch(onGateway(cluster(), last, url), 0, data.length)
    await stalled.write(data.subarray(0, 2 * MiB))
    await sleep(300)
    const holder = cluster().gateways[last]
    holder?.child.kill('SIGKILL')
    await holder?.exited
    const started = performance.now()
    const { seen } = await uploadWithTusJs(data, { uploadUrl: url, chunkSize: MiB })
    const tookMs = performance.now() - started
    expect(sha256(await download(url))).toBe(sha256(data))
    process.stdout.write(`scale-out case 4: resumed and finished ${tookMs.toFixed(0)} ms after the kill; answers ${JSON.stringify(seen.map((answer) => `${answer.method} ${answer.status}`))}\n`)
    stalled.destroy()
    await cluster().restart(last)
  })
}
