import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { create, idOf, openPatch, patch, send } from './clients.js'
import { onGateway } from './cases.js'
import { startCluster, type Cluster, type SharedLocker, type SharedStore } from './cluster.js'

const EXPIRE_AFTER_MS = 3000

/** What a cluster of the expiry cases shares: asked for in `beforeAll`, when the servers it needs run. */
export interface ExpirySetup {
  readonly store: SharedStore
  readonly locker: SharedLocker
}

/**
 * The expiry cases on a cluster of three gateways behind nginx, with uploads expiring after 3 s: the
 * sweeper running on every gateway at once removes each expired upload exactly once and leaves one in use
 * alone; after an expiry every gateway answers `410` (`sharedMemory`: the locker remembers expired
 * uploads for all) or the remover `410` and the others `404`.
 */
export function expiryCases(name: string, setup: () => ExpirySetup, sharedMemory: boolean): void {
  describe(name, () => {
    let cluster: Cluster | undefined
    beforeAll(async () => {
      cluster = await startCluster({ gateways: 3, ...setup(), args: ['--expire-after', `${EXPIRE_AFTER_MS}ms`] })
      // A fresh Redis grants no lock for its first lease; the uploads of the tests must not expire meanwhile.
      const warmUp = await create(cluster.url, 1)
      for (const index of cluster.gateways.keys()) await send('HEAD', onGateway(cluster, index, warmUp))
    }, 60_000)
    afterAll(async () => {
      await cluster?.stop()
    })
    const current = (): Cluster => {
      if (cluster === undefined) throw new Error('the cluster did not start')
      return cluster
    }

    it('sweeps on every gateway at once: each expired upload removed exactly once, an upload in use kept, no sweep failing', async () => {
      // Each written to at once: one after the other, the last ones expired first on a busy machine (CI).
      const idle = await Promise.all(
        Array.from({ length: 15 }, async () => {
          const url = await create(current().url, 100)
          expect((await patch(url, 0, Buffer.alloc(10))).status).toBe(204)
          return url
        }),
      )
      // An upload whose PATCH keeps sending a byte now and then, on gateway 0, past the expiry time.
      const busy = await create(current().url, 100)
      const stream = openPatch(onGateway(current(), 0, busy), 0, 20)
      for (let sent = 0; sent < 19; sent++) {
        await stream.write(Buffer.alloc(1))
        await sleep((EXPIRE_AFTER_MS * 2) / 19)
      }
      await stream.write(Buffer.alloc(1))
      expect((await stream.ended).status).toBe(204)
      // In use for longer than the expiry time, the busy upload was left alone by every sweeper.
      const expiredNow = (): Map<string, number> => {
        const counts = new Map<string, number>()
        for (const entry of current().logs().flat()) if (entry.event === 'expired') counts.set(String(entry.uploadId), (counts.get(String(entry.uploadId)) ?? 0) + 1)
        return counts
      }
      expect(expiredNow().has(idOf(busy))).toBe(false)
      expect((await send('HEAD', busy)).headers['upload-offset']).toBe('20')
      // Long enough for every gateway's sweeper (a pass a second) to have seen every idle upload expired.
      await sleep(2500)
      const expired = expiredNow()
      for (const url of idle) expect(expired.get(idOf(url)), idOf(url)).toBe(1)
      const failures = current().logs().flat().filter((entry) => entry.msg === 'expiration sweep failed')
      expect(failures).toEqual([])
    }, 30_000)

    it(
      sharedMemory
        ? 'answers 410 Gone for an expired upload on every gateway (the memory of expired uploads is in Redis)'
        : 'answers 410 Gone on the gateway that removed an expired upload, 404 on the others (each remembers its own)',
      async () => {
        const url = await create(current().url, 100)
        await sleep(EXPIRE_AFTER_MS + 2500)
        const statuses = await Promise.all(current().gateways.map((_, index) => send('HEAD', onGateway(current(), index, url)).then((reply) => reply.status)))
        if (sharedMemory) expect(statuses).toEqual([410, 410, 410])
        else {
          expect(statuses.filter((status) => status === 410).length).toBeGreaterThanOrEqual(1)
          expect(statuses.every((status) => status === 410 || status === 404)).toBe(true)
        }
      },
      30_000,
    )
  })
}
