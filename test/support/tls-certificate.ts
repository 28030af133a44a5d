import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

/** A self-signed certificate and its key, PEM-encoded. */
export interface Certificate {
  readonly cert: string
  readonly key: string
}

let generated: Promise<Certificate> | undefined

/**
 * A self-signed certificate for `127.0.0.1` and `localhost`, made with openssl the first time it is
 * asked for in this test process. Clients trust it by passing `cert` as their CA, so TLS is verified
 * for real (no `rejectUnauthorized: false`). The temporary directory is removed at once.
 */
export function selfSignedCertificate(): Promise<Certificate> {
  generated ??= generate()
  return generated
}

async function generate(): Promise<Certificate> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-tls-'))
  try {
    const keyPath = join(dir, 'key.pem')
    const certPath = join(dir, 'cert.pem')
    await promisify(execFile)('/usr/bin/openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ])
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')])
    return { cert, key }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
