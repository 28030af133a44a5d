import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { expect } from 'vitest'
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js'

/** A gateway for fault injection: in this process, on 127.0.0.1, with its warnings and errors kept for the test to read. */
export interface FuzzGateway {
  readonly gateway: Gateway
  readonly port: number
  /** `http://127.0.0.1:PORT` */
  readonly origin: string
  readonly basePath: string
  /** The upload directory (the file store's), to see what was stored without a request that would interrupt one. */
  readonly uploadDir: string
  /** Log lines at `warn` and above (JSON objects), e.g. `internal error` with the error that caused a 500. */
  readonly problems: Record<string, unknown>[]
  close(): Promise<void>
}

/** Starts a gateway with `options` on a free port and a fresh upload directory, logging warnings into `problems`. */
export async function startFuzzGateway(options: Omit<GatewayOptions, 'host' | 'port' | 'logger' | 'uploadDir'> = {}): Promise<FuzzGateway> {
  const uploadDir = await mkdtemp(join(tmpdir(), 'rg-fuzz-'))
  const problems: Record<string, unknown>[] = []
  const sink = new Writable({
    write(line: Buffer, _encoding, done) {
      problems.push(JSON.parse(line.toString('utf8')) as Record<string, unknown>)
      done()
    },
  })
  const gateway = await createGateway({ ...options, host: '127.0.0.1', port: 0, uploadDir, logger: pino({ level: 'warn' }, sink) })
  const url = new URL(await gateway.listen())
  return {
    gateway,
    port: Number(url.port),
    origin: url.origin,
    basePath: url.pathname,
    uploadDir,
    problems,
    async close() {
      await gateway.close()
      await rm(uploadDir, { recursive: true, force: true })
    },
  }
}

/** The log lines that mean the gateway failed on its own account (an unknown error answered with a bare 500). */
export function internalErrors(gateway: FuzzGateway): Record<string, unknown>[] {
  return gateway.problems.filter((line) => line['msg'] === 'internal error')
}

/** Creates an upload of `length` bytes with tus over fetch; returns its path. */
export async function createUpload(gateway: FuzzGateway, length: number): Promise<string> {
  const collection = `${gateway.origin}${gateway.basePath}`
  const response = await fetch(collection, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': String(length) } })
  expect(response.status).toBe(201)
  return new URL(response.headers.get('location') ?? '').pathname
}

/** The offset a tus HEAD of the upload at `path` reports (the HEAD must answer 200). */
export async function offsetOf(gateway: FuzzGateway, path: string): Promise<string | null> {
  const response = await fetch(`${gateway.origin}${path}`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } })
  expect(response.status).toBe(200)
  return response.headers.get('upload-offset')
}
