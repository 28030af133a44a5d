import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { startNginx, type NginxServer } from '../servers/nginx.js'
import type { RedisServer } from '../servers/redis.js'

/**
 * A store every gateway of a cluster shares: the flags that point a gateway at it. The matrix of
 * test/scale-out runs every case once per entry; a store that needs a server of its own (S3 on radosgw,
 * s3-shared-store.ts) is made by the test file that starts that server.
 */
export interface SharedStore {
  readonly name: string
  /** The store's flags for a gateway; `workDir` is the cluster's own temporary directory. */
  args(workDir: string): string[]
  /** Environment variables for every gateway (e.g. the S3 keys, which the AWS SDK reads from there). */
  readonly env?: Readonly<Record<string, string>>
}

/** The stores the scale-out cases run on. */
export const SHARED_STORES: readonly SharedStore[] = [
  { name: 'the file store on one shared directory', args: (workDir) => ['--upload-dir', join(workDir, 'uploads')] },
]

/** How the gateways of a cluster share their locks. */
export type SharedLocker = { readonly kind: 'file' } | { readonly kind: 'redis'; readonly redis: () => RedisServer; readonly leaseMs: number }

export interface ClusterOptions {
  readonly gateways: number
  readonly store: SharedStore
  readonly locker: SharedLocker
  /** More flags for every gateway. */
  readonly args?: readonly string[]
}

/** Gateway processes on one store and one locker, behind nginx (round-robin, its default settings). */
export interface Cluster {
  /** The upload collection through nginx, e.g. `http://127.0.0.1:PORT/files/`. */
  readonly url: string
  readonly nginx: NginxServer
  /** The gateways, in nginx's upstream order; an entry changes when `restart` replaces it. */
  readonly gateways: GatewayProcess[]
  /** The cluster's temporary directory (uploads, lock files). */
  readonly workDir: string
  /** Starts gateway `index` again on its port (after a kill), so nginx finds it where it was. */
  restart(index: number): Promise<GatewayProcess>
  /** Every JSON line each gateway logged so far, in gateway order. */
  logs(): Record<string, unknown>[][]
  /** How many requests each gateway logged for `uploadId`, by method (e.g. `[{ PATCH: 3, HEAD: 1 }, ...]`). */
  requestsFor(uploadId: string): Record<string, number>[]
  stop(): Promise<void>
}

/**
 * Starts `options.gateways` gateway processes (`node dist/cli/main.js`) with the store's and the
 * locker's flags, `--behind-proxy` and the draft protocol, logging every request, then nginx in front
 * of them. Callers must `stop()` it.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const workDir = await mkdtemp(join(tmpdir(), 'rg-scale-out-'))
  const lockerArgs =
    options.locker.kind === 'file'
      ? ['--locker', 'file']
      : ['--locker', 'redis', '--redis-url', options.locker.redis().url, '--redis-lock-lease', `${options.locker.leaseMs}ms`]
  const args = [
    ...options.store.args(workDir),
    ...lockerArgs,
    '--behind-proxy',
    '--experimental-protocol',
    '--log-level',
    'info',
    ...(options.args ?? []),
  ]
  const spawn = (extra: readonly string[] = []): Promise<GatewayProcess> => spawnGateway([...args, ...extra], { env: { ...options.store.env } })
  const gateways: GatewayProcess[] = []
  let nginx: NginxServer | undefined
  try {
    gateways.push(...(await Promise.all(Array.from({ length: options.gateways }, () => spawn()))))
    nginx = await startNginx({ upstreams: gateways.map((gateway) => `127.0.0.1:${gateway.port}`) })
  } catch (error) {
    await Promise.all(gateways.map((gateway) => gateway.stop()))
    await rm(workDir, { recursive: true, force: true })
    throw error
  }
  const proxy = nginx
  const logs = (): Record<string, unknown>[][] =>
    gateways.map((gateway) =>
      gateway.stderrLines().flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>]
        } catch {
          return []
        }
      }),
    )
  return {
    url: `${proxy.url}/files/`,
    nginx: proxy,
    gateways,
    workDir,
    async restart(index) {
      const old = gateways[index]
      if (old === undefined) throw new Error(`no gateway ${index}`)
      await old.stop()
      const fresh = await spawn(['--port', String(old.port)])
      gateways[index] = fresh
      return fresh
    },
    logs,
    requestsFor(uploadId) {
      return logs().map((entries) => {
        const counts: Record<string, number> = {}
        for (const entry of entries) {
          if (entry.msg === 'request' && entry.uploadId === uploadId && typeof entry.method === 'string') counts[entry.method] = (counts[entry.method] ?? 0) + 1
        }
        return counts
      })
    },
    async stop() {
      await proxy.stop()
      await Promise.all(gateways.map((gateway) => gateway.stop()))
      await rm(workDir, { recursive: true, force: true })
    },
  }
}
