import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js'
import type { Store } from '../../src/store/store.js'
import { selfSignedCertificate } from './tls-certificate.js'

/** Makes a fresh, empty store for one gateway, and removes it afterwards. */
export type StoreFactory = () => Promise<{ store: Store; cleanup(): Promise<void> }>

// Set by suites that run the HTTP tests again on another store (test/s3/): every gateway started without
// its own `store` or `uploadDir` gets a fresh one of these instead of a file store, over these transports.
let storeFactory: StoreFactory | undefined
let transportNames: readonly string[] | undefined

/**
 * Gives every later `startGateway` without `store` or `uploadDir` a store made by `factory` (undefined: the
 * file store again); `transports` (names, e.g. `HTTP/1.1`) limits the transports the HTTP suites run over,
 * since a store does not care which one carried the request.
 */
export function useStoreForGateways(factory: StoreFactory | undefined, options: { transports?: readonly string[] } = {}): void {
  storeFactory = factory
  transportNames = factory === undefined ? undefined : options.transports
}

/** Whether the suites run on a store of `useStoreForGateways` (tests that look inside the file store do not apply). */
export function storeReplaced(): boolean {
  return storeFactory !== undefined
}

/** The entries of `all` the HTTP suites run over: every one, unless `useStoreForGateways` chose some. */
export function chosenTransports<T extends { readonly name: string }>(all: readonly T[]): readonly T[] {
  return transportNames === undefined ? all : all.filter((transport) => transportNames?.includes(transport.name))
}

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

/**
 * Starts a gateway on 127.0.0.1 and a free port, storing uploads in a fresh temporary directory.
 * TLS is always on: the one port takes HTTP/1.1, h2c and TLS (ALPN h2), so every transport can talk
 * to the same gateway.
 */
export async function startGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const { cert, key } = await selfSignedCertificate()
  const made = options.store === undefined && options.uploadDir === undefined ? await storeFactory?.() : undefined
  const ownDir = options.uploadDir === undefined ? await mkdtemp(join(tmpdir(), 'rg-uploads-')) : undefined
  const uploadDir = options.uploadDir ?? (ownDir as string)
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
