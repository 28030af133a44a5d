import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeWithServer } from '../servers/availability.js'
import { redis } from '../servers/redis.js'
import { create, idOf, openPatch, patch, send } from './clients.js'
import { onGateway } from './cases.js'
import { describeWithNginx, SHARED_STORES, startCluster, type Cluster, type SharedLocker } from './cluster.js'

// What gateways behind one load balancer must share beyond the locks: the expiration sweeper runs on
// every gateway at once, and after an expiry every gateway answers alike (Redis) or as documented (file).

const EXPIRE_AFTER_MS = 2000

function expiryCases(name: string, locker: () => SharedLocker, sharedMemory: boolean): void {
  describe(name, () => {
    let cluster: Cluster | undefined
    beforeAll(async () => {
      cluster = await startCluster({ gateways: 3, store: SHARED_STORES[0] as (typeof SHARED_STORES)[number], locker: locker(), args: ['--expire-after', `${EXPIRE_AFTER_MS}ms`] })
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
      const idle = await Promise.all(Array.from({ length: 15 }, () => create(current().url, 100)))
      for (const url of idle) expect((await patch(url, 0, Buffer.alloc(10))).status).toBe(204)
      // An upload whose PATCH keeps sending a byte now and then, on gateway 0, past the expiry time.
      const busy = await create(current().url, 100)
      const stream = openPatch(onGateway(current(), 0, busy), 0, 20)
      for (let sent = 0; sent < 19; sent++) {
        await stream.write(Buffer.alloc(1))
        await sleep(250)
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

describeWithNginx('gateways sharing state behind nginx', () => {
  expiryCases('with the file locker', () => ({ kind: 'file' }), false)
})

describeWithServer('gateways sharing state behind nginx, with Redis', redis, (server) => {
  describeWithNginx('with the Redis locker', () => {
    expiryCases('with the Redis locker', () => ({ kind: 'redis', redis: server, leaseMs: 2000 }), true)
  })
})
