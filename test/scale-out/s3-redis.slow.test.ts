import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshBucket, radosgwWithSmallParts, removeBucket, TEST_MIN_PART } from '../s3/s3-support.js'
import { describeWithServer } from '../servers/availability.js'
import { describeWithNginx } from '../servers/nginx.js'
import { redis } from '../servers/redis.js'
import { onGateway, scaleOutCases } from './cases.js'
import { create, download, idOf, MiB, offsetOf, openPatch, patch, send, sha256 } from './clients.js'
import { startCluster, type Cluster } from './cluster.js'
import { expiryCases } from './expiry-cases.js'
import { heldInS3, S3_PART_SIZE, s3SharedStore } from './s3-shared-store.js'

// Issue 13 on S3: cases 1 to 4 and the shared-state cases with three gateway processes behind nginx, one
// Redis for their locks and one bucket on radosgw as their store (parts of 128 KiB, so that kilobytes
// cross part boundaries). Case 5 (Redis restarted) is the locker's, proven on the file store.

const LEASE_MS = 2000

describeWithServer('scale-out on S3', radosgwWithSmallParts(), (rgw) => {
  describeWithServer('with the Redis locker', redis, (server) => {
    describeWithNginx('three gateways behind nginx', () => {
      describe('one S3 bucket on radosgw', () => {
        let bucket: string | undefined
        let cluster: Cluster | undefined
        beforeAll(async () => {
          bucket = await freshBucket(rgw())
          cluster = await startCluster({ gateways: 3, store: s3SharedStore(rgw(), bucket), locker: { kind: 'redis', redis: server, leaseMs: LEASE_MS } })
        }, 60_000)
        afterAll(async () => {
          await cluster?.stop()
          if (bucket !== undefined) await removeBucket(rgw(), bucket)
        }, 30_000)
        const current = (): Cluster => {
          if (cluster === undefined) throw new Error('the cluster did not start')
          return cluster
        }

        scaleOutCases(current)

        // On S3 a gateway holds what it received in parts it uploads as they fill, and the bytes after the
        // last part in a buffer; the HEAD's release request makes A commit them (the bytes after its last
        // part below the minimum part size as `.part`, a short last part otherwise), and B reads S3 after.
        for (const { what, parts, tail } of [
          { what: 'the bytes after its parts, below the minimum part size, as .part', parts: [S3_PART_SIZE, S3_PART_SIZE, S3_PART_SIZE], tail: 1000 },
          { what: 'the bytes after its parts, above the minimum part size, as a short part', parts: [S3_PART_SIZE, S3_PART_SIZE, TEST_MIN_PART + 3], tail: 0 },
        ]) {
          it(`case 2 on S3: B answers with what A stored in S3, ${what}, and the upload goes on from there`, async () => {
            const sent = parts.reduce((sum, size) => sum + size, 0) + tail
            const length = 2 * MiB
            const source = randomBytes(length)
            const url = await create(current().url, length)
            const stalled = openPatch(onGateway(current(), 0, url), 0, length)
            await stalled.write(source.subarray(0, sent))
            await sleep(300)
            const head = await send('HEAD', onGateway(current(), 1, url))
            expect(head.status).toBe(200)
            expect(head.headers['upload-offset']).toBe(String(sent))
            const ended = await stalled.ended
            expect(ended.status).toBe(400)
            expect(ended.body).toContain(`${sent} bytes are stored`)
            stalled.destroy()
            const held = await heldInS3(rgw(), bucket as string, decodeURIComponent(idOf(url)))
            expect(held).toEqual({ parts, tail, committedParts: parts.length })
            expect((await patch(url, sent, source.subarray(sent))).status).toBe(204)
            expect(sha256(await download(url))).toBe(sha256(source))
          })
        }

        it('case 4 on S3: kill -9 of the gateway holding an upload mid-PATCH keeps what it committed; another gateway resumes from there after the lease', async () => {
          const data = randomBytes(4 * MiB)
          const url = await create(current().url, data.length)
          const id = decodeURIComponent(idOf(url))
          const last = current().gateways.length - 1
          const stalled = openPatch(onGateway(current(), last, url), 0, data.length)
          await stalled.write(data.subarray(0, 2 * MiB))
          // The holder commits the parts S3 confirmed every second while its body streams (a crash can commit nothing).
          const parts = (2 * MiB) / S3_PART_SIZE
          const deadline = Date.now() + 10_000
          while ((await heldInS3(rgw(), bucket as string, id)).committedParts !== parts) {
            if (Date.now() > deadline) throw new Error(`the holder did not commit its ${parts} parts within 10 s`)
            await sleep(50)
          }
          const holder = current().gateways[last]
          holder?.child.kill('SIGKILL')
          await holder?.exited
          stalled.destroy()
          // Answered once the dead holder's lease ran out.
          expect(await offsetOf(onGateway(current(), 0, url))).toBe(2 * MiB)
          expect((await patch(url, 2 * MiB, data.subarray(2 * MiB))).status).toBe(204)
          expect(sha256(await download(url))).toBe(sha256(data))
          await current().restart(last)
        })
      })

      describe('one S3 bucket on radosgw, uploads expiring after 3 s', () => {
        let bucket: string | undefined
        beforeAll(async () => {
          bucket = await freshBucket(rgw())
        })
        afterAll(async () => {
          if (bucket !== undefined) await removeBucket(rgw(), bucket)
        }, 30_000)
        expiryCases('with the Redis locker', () => ({ store: s3SharedStore(rgw(), bucket as string), locker: { kind: 'redis', redis: server, leaseMs: LEASE_MS } }), true)
      })
    })
  })
})
