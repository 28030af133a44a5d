import { afterAll, beforeAll } from 'vitest'
import { describeWithNginx } from '../servers/nginx.js'
import { scaleOutCases } from './cases.js'
import { SHARED_STORES, startCluster, type Cluster } from './cluster.js'

// Issue 13, case 6: cases 1 to 4 with three gateway processes on one host sharing the upload directory
// and its lock files (--locker file), behind nginx, without Redis.

for (const store of SHARED_STORES) {
  describeWithNginx(`scale-out with the file locker: three gateways behind nginx, ${store.name}`, () => {
    let cluster: Cluster | undefined
    beforeAll(async () => {
      cluster = await startCluster({ gateways: 3, store, locker: { kind: 'file' } })
    }, 60_000)
    afterAll(async () => {
      await cluster?.stop()
    })

    scaleOutCases(() => {
      if (cluster === undefined) throw new Error('the cluster did not start')
      return cluster
    })
  })
}
