import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeWithServer } from '../servers/availability.js'
import { describeWithNginx } from '../servers/nginx.js'
import { redis } from '../servers/redis.js'
import { scaleOutCases } from './cases.js'
import { download, MiB, sha256, uploadWithTusJs } from './clients.js'
import { SHARED_STORES, startCluster, type Cluster } from './cluster.js'

// Issue 13, cases 1 to 5: three gateway processes behind nginx, one Redis for their locks, one store.

const LEASE_MS = 2000

describeWithServer('scale-out with the Redis locker', redis, (server) => {
  for (const store of SHARED_STORES) {
    describeWithNginx(`three gateways behind nginx, ${store.name}`, () => {
      let cluster: Cluster | undefined
      beforeAll(async () => {
        cluster = await startCluster({ gateways: 3, store, locker: { kind: 'redis', redis: server, leaseMs: LEASE_MS } })
      }, 60_000)
      afterAll(async () => {
        await cluster?.stop()
      })
      const current = (): Cluster => {
        if (cluster === undefined) throw new Error('the cluster did not start')
        return cluster
      }

      scaleOutCases(current)

      it('case 5: Redis paused, then restarted empty, mid-upload: 503s while it is away, no corruption, the upload finishes after', async () => {
        const data = randomBytes(24 * MiB)
        let outage: Promise<void> | undefined
        const { url, seen } = await uploadWithTusJs(data, { endpoint: current().url, chunkSize: MiB }, (sent) => {
          if (outage !== undefined || sent < 4 * MiB) return
          outage = (async () => {
            server().pause()
            await sleep(1500)
            await server().restart()
          })()
        })
        await outage
        expect(sha256(await download(url))).toBe(sha256(data))
        const statuses = seen.map((answer) => `${answer.method} ${answer.status}`)
        process.stdout.write(`scale-out case 5: answers ${JSON.stringify(statuses)}\n`)
        expect(statuses).toContain('PATCH 503')
      })
    })
  }
})
