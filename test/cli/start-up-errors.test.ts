import { generateKeyPairSync } from 'node:crypto'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli, spawnGateway, type CliRun } from '../resilience/gateway-process.js'
import { selfSignedCertificate } from '../support/tls-certificate.js'

// Values each flag takes alone but the gateway cannot start with: the process exits 1 at start-up, before it
// listens, with one line naming the flag and what is wrong.

let workDir: string

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'rg-start-up-'))
})
afterEach(async () => {
  await rm(workDir, { recursive: true, force: true })
})

/** Runs the CLI on a free port of 127.0.0.1 with `args`, uploads in the work directory unless `args` name another. */
function start(args: string[]): Promise<CliRun> {
  const uploadDir = args.includes('--upload-dir') ? [] : ['--upload-dir', join(workDir, 'uploads')]
  return runCli(['--host', '127.0.0.1', '--port', '0', '--log-level', 'silent', ...uploadDir, ...args], {}, 10_000)
}

/** The run exited 1 before listening, with a message naming `flag`. */
function expectRefused(run: CliRun, flag: string, what: RegExp): void {
  expect(run.stdout).toBe('')
  expect(run.stderr).toContain(flag)
  expect(run.stderr).toMatch(what)
  expect(run.code).toBe(1)
}

describe('--hooks-dir', () => {
  it('exits 1 when the directory does not exist', async () => {
    expectRefused(await start(['--hooks-dir', join(workDir, 'no-hooks')]), '--hooks-dir', /no such directory/)
  })

  it('exits 1 when it names a file', async () => {
    await writeFile(join(workDir, 'a-file'), '')
    expectRefused(await start(['--hooks-dir', join(workDir, 'a-file')]), '--hooks-dir', /not a directory/)
  })

  it('takes an existing directory without hooks in it', async () => {
    await mkdir(join(workDir, 'hooks'))
    const gateway = await spawnGateway(['--log-level', 'silent', '--upload-dir', join(workDir, 'uploads'), '--hooks-dir', join(workDir, 'hooks')])
    await gateway.stop()
  })
})

describe('values a flag parses but the gateway cannot work with', () => {
  it.each([
    [['--hooks-http-size-limit', '0'], '--hooks-http-size-limit'],
    [['--acquire-lock-timeout', '0'], '--acquire-lock-timeout'],
    [['--acquire-lock-timeout', '0.1ms'], '--acquire-lock-timeout'],
    [['--acquire-lock-timeout', '-1s'], '--acquire-lock-timeout'],
    // A hook that must finish within 0 ms fails every time: every creation would be refused (503).
    [['--hooks-http-timeout', '0', '--hooks-http', 'http://127.0.0.1:1/hook'], '--hooks-http-timeout'],
    [['--hooks-file-timeout', '0', '--hooks-dir', tmpdir()], '--hooks-file-timeout'],
  ])('%j exits 1 with a message naming %s', async (args, flag) => {
    const run = await start(args)
    expectRefused(run, flag, new RegExp(args[1] as string))
    await expect(stat(join(workDir, 'uploads'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('store flags without their store', () => {
  it.each([
    [['--s3-endpoint', 'http://127.0.0.1:1'], '--s3-endpoint'],
    [['--s3-part-size', '8MiB'], '--s3-part-size'],
    [['--s3-object-prefix', 'uploads/'], '--s3-object-prefix'],
    [['--s3-part-buffer', 'memory'], '--s3-part-buffer'],
    [['--s3-equal-part-sizes'], '--s3-equal-part-sizes'],
  ])('%j exits 1: %s needs --s3-bucket', async (args, flag) => {
    expectRefused(await start(args), `${flag} needs --s3-bucket`, /./)
  })

  it('refuses an --s3-* flag set by its environment variable, too', async () => {
    const run = await runCli(['--host', '127.0.0.1', '--port', '0', '--upload-dir', join(workDir, 'uploads')], { RESUMABLE_GATEWAY_S3_PART_SIZE: '8MiB' }, 10_000)
    expectRefused(run, '--s3-part-size needs --s3-bucket', /./)
  })

  it.each([
    [['--azure-endpoint', 'http://127.0.0.1:1/acct'], '--azure-endpoint'],
    [['--azure-object-prefix', 'tus'], '--azure-object-prefix'],
    [['--azure-blob-access-tier', 'cool'], '--azure-blob-access-tier'],
    [['--azure-container-access-type', 'blob'], '--azure-container-access-type'],
  ])('%j exits 1: %s needs --azure-container', async (args, flag) => {
    expectRefused(await start(args), `${flag} needs --azure-container`, /./)
  })

  it.each([
    [['--gcs-endpoint', 'http://127.0.0.1:4443'], '--gcs-endpoint'],
    [['--gcs-object-prefix', 'uploads'], '--gcs-object-prefix'],
  ])('%j exits 1: %s needs --gcs-bucket', async (args, flag) => {
    expectRefused(await start(args), `${flag} needs --gcs-bucket`, /./)
  })
})

describe('--upload-dir', () => {
  it('exits 1 at once under /proc, where a directory cannot be made', async () => {
    expectRefused(await start(['--upload-dir', '/proc/rg-not-a-process/uploads']), '--upload-dir /proc/rg-not-a-process/uploads', /ENOENT/)
  })

  it('exits 1 when it names a file', async () => {
    await writeFile(join(workDir, 'a-file'), '')
    expectRefused(await start(['--upload-dir', join(workDir, 'a-file')]), `--upload-dir ${join(workDir, 'a-file')}`, /not a directory/)
  })

  it('exits 1 naming --upload-dir when a parent is a file', async () => {
    await writeFile(join(workDir, 'a-file'), '')
    expectRefused(await start(['--upload-dir', join(workDir, 'a-file', 'uploads')]), '--upload-dir', /ENOTDIR/)
  })
})

describe('--tls-cert and --tls-key', () => {
  const files = async (cert: string, key: string): Promise<string[]> => {
    await writeFile(join(workDir, 'cert.pem'), cert)
    await writeFile(join(workDir, 'key.pem'), key)
    return ['--tls-cert', join(workDir, 'cert.pem'), '--tls-key', join(workDir, 'key.pem')]
  }

  it('exits 1 naming the flag whose file cannot be read', async () => {
    const { key } = await selfSignedCertificate()
    await writeFile(join(workDir, 'key.pem'), key)
    const missingCert = await start(['--tls-cert', join(workDir, 'none.pem'), '--tls-key', join(workDir, 'key.pem')])
    expectRefused(missingCert, `--tls-cert: cannot read ${join(workDir, 'none.pem')}`, /ENOENT/)
    const { cert } = await selfSignedCertificate()
    await writeFile(join(workDir, 'cert.pem'), cert)
    const missingKey = await start(['--tls-cert', join(workDir, 'cert.pem'), '--tls-key', join(workDir, 'none.pem')])
    expectRefused(missingKey, `--tls-key: cannot read ${join(workDir, 'none.pem')}`, /ENOENT/)
  })

  it('exits 1 naming the flag when the certificate and the key are swapped', async () => {
    const { cert, key } = await selfSignedCertificate()
    expectRefused(await start(await files(key, cert)), '--tls-cert', /not a PEM certificate/)
  })

  it('exits 1 naming --tls-key when it does not match the certificate', async () => {
    const { cert } = await selfSignedCertificate()
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    expectRefused(await start(await files(cert, other)), '--tls-key', /does not match the certificate/)
  })
})

describe('addresses the gateway cannot listen on', () => {
  const taken = async (): Promise<{ port: number; close: () => void }> => {
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    return { port: (blocker.address() as net.AddressInfo).port, close: () => blocker.close() }
  }

  it('exits 1 naming --port when the port is in use', async () => {
    const blocker = await taken()
    try {
      const run = await runCli(['--host', '127.0.0.1', '--port', String(blocker.port), '--upload-dir', workDir, '--log-level', 'silent'])
      expectRefused(run, `--port ${blocker.port}: the address is in use`, /EADDRINUSE/)
    } finally {
      blocker.close()
    }
  })

  it('exits 1 naming --metrics-listen when its port is in use', async () => {
    const blocker = await taken()
    try {
      const run = await start(['--metrics-listen', `127.0.0.1:${blocker.port}`])
      expectRefused(run, `--metrics-listen 127.0.0.1:${blocker.port}: the address is in use`, /EADDRINUSE/)
    } finally {
      blocker.close()
    }
  })

  it('exits 1 naming --host when it names no address', async () => {
    const run = await runCli(['--host', '999.1.1.1', '--port', '0', '--upload-dir', workDir, '--log-level', 'silent'])
    expectRefused(run, '--host 999.1.1.1', /ENOTFOUND|EAI_AGAIN/)
  })
})
