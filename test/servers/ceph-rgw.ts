import { randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { missingCommands, type ServerKind, type TestServer } from './availability.js'
import { runCommand, type Daemon } from './daemon.js'
import { cephConf } from './ceph-conf.js'
import { acceptsTcp, answersHttp, freePort, waitUntil } from './readiness.js'
import { startWithRetry, Startup } from './startup.js'

/** Ceph radosgw (S3 API) on a throw-away one-node cluster, reached at `endpoint` with fixed keys. */
export interface RadosgwServer extends TestServer {
  /** `http://127.0.0.1:PORT`; S3 clients must use path-style addressing (`forcePathStyle: true`). */
  readonly endpoint: string
  /** A region for request signing; radosgw's default zonegroup accepts any. */
  readonly region: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly port: number
  /** The cluster's directory (temporary, removed by `stop()`). */
  readonly dir: string
  /** Runs `radosgw-admin` with `args` against this cluster and resolves with its stdout; throws CommandFailed. */
  admin(args: readonly string[]): Promise<string>
  /** SIGSTOPs the radosgw: connections are accepted by the kernel but nothing is answered until `resume()`. */
  pause(): void
  /** SIGCONTs a paused radosgw. */
  resume(): void
  /** Stops the radosgw only (the cluster keeps its data): connections are refused until `startGateway()`. */
  stopGateway(): Promise<void>
  /** Starts the radosgw again on the same port, resolving once it answers HTTP. */
  startGateway(): Promise<void>
}

/** What {@link startRadosgw} may change. */
export interface RadosgwOptions {
  /** Extra ceph.conf options for the radosgw, e.g. `{ rgw_multipart_min_part_size: 1024 }`. */
  readonly rgwOptions?: Readonly<Record<string, string | number | boolean>>
  /** How many bytes the OSD keeps in RAM at most (default 1 GiB): more for tests that store gigabytes. */
  readonly memstoreBytes?: number
}

const COMMANDS = ['monmaptool', 'ceph-mon', 'ceph-osd', 'ceph', 'radosgw', 'radosgw-admin']
const RGW_NAME = 'gw'
const USER = { uid: 'gateway-test', accessKeyId: 'GATEWAYTESTACCESSKEY', secretAccessKey: 'gateway-test-secret-key-for-radosgw-only' }

/** Ceph radosgw from Debian's `radosgw`, `ceph-mon` and `ceph-osd` packages. */
export const radosgw: ServerKind<RadosgwServer> = {
  name: 'radosgw',
  unavailable() {
    const missing = missingCommands(COMMANDS)
    if (missing.length === 0) return undefined
    return `${missing.join(', ')} not installed (apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd)`
  },
  start: () => startRadosgw(),
}

/**
 * Starts a one-node Ceph cluster (one mon, one memstore OSD, no auth, no mgr) and a radosgw on free
 * loopback ports, all in a fresh temp directory, and creates an S3 user with fixed keys (~2 s; ~150-250
 * MiB). Several clusters run side by side: each has its own fsid, ports and directory. If a start fails
 * half-way, whatever it started is stopped and it is tried once more; the second failure throws a
 * {@link ServerStartError} with the end of every daemon's log. Callers must `stop()` it.
 */
export function startRadosgw(options: RadosgwOptions = {}): Promise<RadosgwServer> {
  return startWithRetry('radosgw', async () => {
    const startup = await Startup.begin('rgw')
    try {
      return await startCluster(startup, options)
    } catch (error) {
      return startup.abandon(error)
    }
  })
}

async function startCluster(startup: Startup, options: RadosgwOptions): Promise<RadosgwServer> {
  const { dir } = startup
  const monPort = await freePort()
  let rgwPort = await freePort()
  while (rgwPort === monPort) rgwPort = await freePort()
  const conf = join(dir, 'ceph.conf')
  const fsid = randomUUID()
  await Promise.all(['run', 'log', 'mon', 'rgw', 'crash'].map((sub) => mkdir(join(dir, sub))))
  await writeFile(conf, cephConf({ fsid, dir, monPort, rgwPort, rgwName: RGW_NAME, rgwOptions: options.rgwOptions, memstoreBytes: options.memstoreBytes }))
  startup.logs.push(...['mon.a', 'osd.0', `client.rgw.${RGW_NAME}`, 'client.admin'].map((name) => join(dir, 'log', `${name}.log`)))

  const monmap = join(dir, 'monmap')
  await runCommand('monmaptool', ['-c', conf, '--create', '--fsid', fsid, '--addv', 'a', `[v1:127.0.0.1:${monPort}]`, monmap])
  await runCommand('ceph-mon', ['-c', conf, '-i', 'a', '--mkfs', '--monmap', monmap])
  const mon = startup.spawn('ceph-mon', 'ceph-mon', ['-c', conf, '-i', 'a', '-f'])
  await waitUntil(`ceph-mon to listen on port ${monPort}`, () => acceptsTcp(monPort), { watch: [mon] })
  // The ceph CLI, tried up to three times while the mon runs: soon after the mon started, a CLI
  // sometimes asks with a zero fsid and is refused ("EPERM: problem getting command descriptions",
  // about 1 in 25 starts with two clusters starting at once). Only idempotent commands go through it.
  // --connect-timeout: without it the CLI waits 5 minutes for an unreachable mon.
  const ceph = async (...args: string[]): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await runCommand('ceph', ['-c', conf, '--connect-timeout', '10', ...args])
      } catch (error) {
        if (attempt === 3 || mon.exit() !== undefined) throw error
      }
    }
  }

  const osdUuid = randomUUID()
  const id = (await ceph('osd', 'new', osdUuid)).trim()
  await ceph('osd', 'crush', 'add', `osd.${id}`, '1.0', 'root=default')
  await mkdir(join(dir, `osd-${id}`))
  await runCommand('ceph-osd', ['-c', conf, '-i', id, '--mkfs', '--osd-uuid', osdUuid])
  const osd = startup.spawn('ceph-osd', 'ceph-osd', ['-c', conf, '-i', id, '-f'])
  await waitUntil(
    `osd.${id} to be up`,
    async () => (JSON.parse(await ceph('osd', 'stat', '--format', 'json')) as { num_up_osds?: number }).num_up_osds === 1,
    { watch: [mon, osd], timeoutMs: 20_000 },
  )

  const endpoint = `http://127.0.0.1:${rgwPort}`
  const launchGateway = async (): Promise<Daemon> => {
    const daemon = startup.spawn('radosgw', 'radosgw', ['-c', conf, '-n', `client.rgw.${RGW_NAME}`, '-f'])
    await waitUntil(`radosgw to answer HTTP on port ${rgwPort}`, () => answersHttp(endpoint), { watch: [mon, osd, daemon], timeoutMs: 20_000 })
    return daemon
  }
  let rgw = await launchGateway()

  const admin = (args: readonly string[]): Promise<string> => runCommand('radosgw-admin', ['-c', conf, ...args])
  await admin(['user', 'create', `--uid=${USER.uid}`, '--display-name=gateway tests', `--access-key=${USER.accessKeyId}`, `--secret-key=${USER.secretAccessKey}`])
  return {
    endpoint,
    region: 'us-east-1',
    accessKeyId: USER.accessKeyId,
    secretAccessKey: USER.secretAccessKey,
    port: rgwPort,
    dir,
    admin,
    pause: () => rgw.signal('SIGSTOP'),
    resume: () => rgw.signal('SIGCONT'),
    async stopGateway() {
      await rgw.stop()
    },
    async startGateway() {
      rgw = await launchGateway()
    },
    stop: () => startup.finish(),
  }
}
