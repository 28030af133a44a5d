import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js'
import type { Store } from '../../src/store/store.js'
import { selfSignedCertificate } from './tls-certificate.js'

/** A gateway running in this process on 127.0.0.1, for tests. */
export interface TestGateway {
  readonly gateway: Gateway
  readonly port: number
  /** The upload directory (a fresh temporary one unless `uploadDir` was given). */
  readonly uploadDir: string
  /** The collection path, e.g. `/files/`. */
  readonly basePath: string
  /** The PEM certificate the gateway serves on TLS connections; clients use it as their CA. */
  readonly ca: string
  /** Shuts the gateway down and removes the temporary directories it made. */
  close(): Promise<void>
}

/** What a test may change; the rest is fixed (loopback, port 0, silent log, TLS on the same port). */
export type TestGatewayOptions = Omit<GatewayOptions, 'host' | 'port' | 'tls' | 'logger'>

/** Makes a fresh store for one test gateway, and removes what it left. */
export type StoreMaker = () => Promise<{ readonly store: Store; cleanup(): Promise<void> }>

let storeMaker: StoreMaker | undefined

/**
 * Runs every gateway this test file starts without a `store` of its own on a fresh store from `make`
 * (e.g. GCS on a fake), so that suites written for the file store run unchanged on another backend.
 */
export function useStoreForGateways(make: StoreMaker): void {
  storeMaker = make
}

/**
 * Starts a gateway on 127.0.0.1 and a free port, storing uploads in a fresh temporary directory (or in a
 * store from `useStoreForGateways`).
 * TLS is always on: the one port takes HTTP/1.1, h2c and TLS (ALPN h2), so every transport can talk
 * to the same gateway.
 */
export async function startGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const { cert, key } = await selfSignedCertificate()
  const ownDir = options.uploadDir === undefined ? await mkdtemp(join(tmpdir(), 'rg-uploads-')) : undefined
  const uploadDir = options.uploadDir ?? (ownDir as string)
  const made = options.store === undefined ? await storeMaker?.() : undefined
  const gateway = await createGateway({
    ...options,
    ...(made === undefined ? {} : { store: made.store }),
    uploadDir,
    host: '127.0.0.1',
    port: 0,
    tls: { cert, key, minVersion: 'TLSv1.2' },
    logger: pino({ level: 'silent' }),
  })
  const url = new URL(await gateway.listen())
  return {
    gateway,
    port: Number(url.port),
    uploadDir,
    basePath: url.pathname,
    ca: cert,
    async close() {
      await gateway.close()
      await made?.cleanup()
      if (ownDir !== undefined) await rm(ownDir, { recursive: true, force: true })
    },
  }
}

/**
 * Copies a directory (a fixture) into a fresh temporary one, so a test can change it freely.
 * Returns the copy's path and a function that removes it.
 */
export async function copyToTemp(source: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-fixture-'))
  await cp(source, dir, { recursive: true })
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}
