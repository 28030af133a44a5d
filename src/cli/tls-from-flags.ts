import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import type { TlsOptions } from '../transport/listener.js'

/** The TLS flags, as `CliOptions` holds them. */
export interface TlsFlags {
  tlsCert?: string
  tlsKey?: string
  tlsMinVersion: 'TLSv1.2' | 'TLSv1.3'
}

/**
 * The certificate and key of `--tls-cert` and `--tls-key`, read now (at start-up, and again on SIGHUP), or
 * undefined without them. Throws an `Error` naming the flag, with the system's reason, when a file cannot be read,
 * is not a PEM certificate or key (the two swapped, say), or the key does not match the certificate.
 */
export function tlsFromFlags(flags: TlsFlags): TlsOptions | undefined {
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) return undefined
  const cert = readFlagFile('--tls-cert', flags.tlsCert)
  const key = readFlagFile('--tls-key', flags.tlsKey)
  try {
    new X509Certificate(cert)
  } catch (error) {
    throw new Error(`--tls-cert: ${flags.tlsCert} is not a PEM certificate (${reason(error)})`, { cause: error })
  }
  try {
    createPrivateKey(key)
  } catch (error) {
    throw new Error(`--tls-key: ${flags.tlsKey} is not a PEM private key without passphrase (${reason(error)})`, { cause: error })
  }
  try {
    createSecureContext({ cert, key })
  } catch (error) {
    throw new Error(`--tls-key: ${flags.tlsKey} does not match the certificate of --tls-cert ${flags.tlsCert} (${reason(error)})`, { cause: error })
  }
  return { cert, key, minVersion: flags.tlsMinVersion }
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    throw new Error(`${flag}: cannot read ${path} (${reason(error)})`, { cause: error })
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
