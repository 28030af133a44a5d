import http from 'node:http'
import http2 from 'node:http2'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { HookBackend } from '../../src/hooks/hook-backend.js'
import { EMPTY_HOOK_RESPONSE } from '../../src/hooks/hook-response.js'
import { spawnGateway } from '../resilience/gateway-process.js'
import { send } from '../resilience/tus-http.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { parsePrometheusText, type Scrape } from './prometheus-text.js'

// Metrics scraped as Prometheus does, parsed as text format, and checked against what was done.

async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  return parsePrometheusText(await response.text())
}

// The test gateways also serve TLS on their port; scrapes go in cleartext.
const metricsOf = (gateway: TestGateway): Promise<Scrape> => scrape(`http://127.0.0.1:${gateway.port}/metrics`)

describe("tusd's metrics, counted as tusd counts them", () => {
  let gateway: TestGateway
  let base: string
  beforeAll(async () => {
    gateway = await startGateway({ experimentalProtocol: true })
    base = `http://127.0.0.1:${gateway.port}${gateway.basePath}`
  })
  afterAll(() => gateway?.close())

  it("starts with tusd's series at 0, with tusd's names, types and help texts", async () => {
    const metrics = await metricsOf(gateway)
    for (const method of ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS']) expect(metrics.value('tusd_requests_total', { method })).toBe(0)
    for (const hooktype of ['pre-create', 'post-create', 'post-receive', 'pre-terminate', 'post-terminate', 'post-finish', 'pre-finish']) {
      expect(metrics.value('tusd_hook_invocations_total', { hooktype })).toBe(0)
      expect(metrics.value('tusd_hook_errors_total', { hooktype })).toBe(0)
    }
    for (const name of ['tusd_bytes_received', 'tusd_uploads_created', 'tusd_uploads_finished', 'tusd_uploads_terminated']) expect(metrics.value(name)).toBe(0)
    expect(Object.fromEntries([...metrics.help].filter(([name]) => name.startsWith('tusd_')))).toEqual({
      tusd_requests_total: 'Total number of requests served by tusd per method.',
      tusd_errors_total: 'Total number of errors per status.',
      tusd_bytes_received: 'Number of bytes received for uploads.',
      tusd_uploads_created: 'Number of created uploads.',
      tusd_uploads_finished: 'Number of finished uploads.',
      tusd_uploads_terminated: 'Number of terminated uploads.',
      tusd_connections_open: 'Current number of open connections.',
      tusd_hook_invocations_total: 'Total number of invocations per hook type.',
      tusd_hook_errors_total: 'Total number of execution errors per hook type.',
    })
    for (const [name, type] of metrics.type) if (name.startsWith('tusd_')) expect(type, name).toBe(name === 'tusd_connections_open' ? 'gauge' : 'counter')
    // Node's process metrics come along, as Go's come with tusd.
    expect(metrics.value('process_cpu_user_seconds_total')).toBeGreaterThan(0)
    expect(metrics.type.get('nodejs_eventloop_lag_seconds')).toBe('gauge')
  })

  it('counts requests by effective method, errors by status and code, bytes and uploads, for both protocols', async () => {
    const tus = { 'tus-resumable': '1.0.0' }
    const octets = { 'content-type': 'application/offset+octet-stream' }
    expect((await send('OPTIONS', base)).status).toBe(200)
    const created = await send('POST', base, { ...tus, 'upload-length': '11' })
    const url = new URL(created.headers.location as string, base).href
    expect((await send('PATCH', url, { ...tus, ...octets, 'upload-offset': '0' }, 'hello')).status).toBe(204)
    expect((await send('HEAD', url, tus)).status).toBe(200)
    expect((await send('PATCH', url, { ...tus, ...octets, 'upload-offset': '3' }, 'xx')).status).toBe(409)
    // X-HTTP-Method-Override makes a POST a PATCH, for tusd as here.
    expect((await send('POST', url, { ...tus, ...octets, 'upload-offset': '5', 'x-http-method-override': 'PATCH' }, ' world')).status).toBe(204)
    expect((await send('GET', url)).body).toBe('hello world')
    expect((await send('HEAD', `${base}0123456789abcdef0123456789abcdef`, tus)).status).toBe(404)
    expect((await send('POST', base, { 'upload-length': '1', 'tus-resumable': '0.2.2' })).status).toBe(412)
    const doomed = new URL((await send('POST', base, { ...tus, 'upload-length': '1' })).headers.location as string, base).href
    expect((await send('DELETE', doomed, tus)).status).toBe(204)
    const draft = await send('POST', base, { 'upload-draft-interop-version': '8', 'upload-complete': '?1' }, 'draft!')
    expect(draft.status).toBe(201)
    // A method tusd does not count.
    await send('PROPFIND', base, tus)

    const metrics = await metricsOf(gateway)
    expect(Object.fromEntries(['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'].map((method) => [method, metrics.value('tusd_requests_total', { method })]))).toEqual({
      GET: 1,
      HEAD: 2,
      POST: 4,
      PATCH: 3,
      DELETE: 1,
      OPTIONS: 1,
    })
    expect(metrics.samples.some((sample) => sample.labels['method'] === 'PROPFIND')).toBe(false)
    expect(metrics.value('tusd_errors_total', { status: '404', code: 'ERR_UPLOAD_NOT_FOUND' })).toBe(1)
    expect(metrics.value('tusd_errors_total', { status: '409', code: 'ERR_MISMATCHED_OFFSET' })).toBe(1)
    expect(metrics.value('tusd_errors_total', { status: '412', code: 'ERR_UNSUPPORTED_VERSION' })).toBe(1)
    expect(metrics.value('tusd_bytes_received')).toBe(11 + 'draft!'.length)
    expect(metrics.value('tusd_uploads_created')).toBe(3)
    expect(metrics.value('tusd_uploads_finished')).toBe(2)
    expect(metrics.value('tusd_uploads_terminated')).toBe(1)
    // Ours: durations by method and protocol (the draft's interop version apart), store operations.
    expect(metrics.value('resumable_gateway_request_duration_seconds_count', { method: 'PATCH', protocol: 'tus-v1', interop_version: '' })).toBe(3)
    expect(metrics.value('resumable_gateway_request_duration_seconds_count', { method: 'POST', protocol: 'ietf-draft', interop_version: '8' })).toBe(1)
    expect(metrics.sum('resumable_gateway_store_operation_duration_seconds_count', { operation: 'create', outcome: 'ok' })).toBe(3)
    expect(metrics.sum('resumable_gateway_store_operation_duration_seconds_count', { operation: 'append' })).toBe(3)
    expect(metrics.value('resumable_gateway_uploads_in_flight')).toBe(0)
  })
})

describe('metrics while uploads run', () => {
  let gateway: TestGateway
  let base: string
  const open: { destroy(): void }[] = []
  beforeAll(async () => {
    gateway = await startGateway()
    base = `http://127.0.0.1:${gateway.port}${gateway.basePath}`
  })
  afterEach(() => open.splice(0).forEach((connection) => connection.destroy()))
  afterAll(() => gateway?.close())

  it('shows an upload in flight, its connection, then the lock release a HEAD asks for and the bytes kept', async () => {
    const tus = { 'tus-resumable': '1.0.0' }
    const url = new URL((await send('POST', base, { ...tus, 'upload-length': '1000' })).headers.location as string, base).href
    // A PATCH that sends 300 bytes and stalls.
    const stalled = http.request(url, { method: 'PATCH', agent: false, headers: { ...tus, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0', 'content-length': '1000' } })
    stalled.on('error', () => {})
    const answered = new Promise<number>((resolve) => stalled.on('response', (response) => resolve(response.statusCode ?? 0)))
    stalled.write(Buffer.alloc(300))
    open.push(stalled)
    await expect.poll(async () => (await metricsOf(gateway)).value('resumable_gateway_uploads_in_flight')).toBe(1)
    const during = await metricsOf(gateway)
    expect(during.value('resumable_gateway_requests_in_flight')).toBe(1)
    expect(during.value('tusd_connections_open')).toBeGreaterThanOrEqual(2)
    expect(during.value('tusd_requests_total', { method: 'PATCH' })).toBe(1)

    const head = await send('HEAD', url, tus)
    expect(head.headers['upload-offset']).toBe('300')
    expect(await answered).toBe(400)
    const after = await metricsOf(gateway)
    expect(after.value('resumable_gateway_uploads_in_flight')).toBe(0)
    expect(after.value('resumable_gateway_lock_release_requests_total', { reason: 'release' })).toBe(1)
    // The PATCH and the HEAD waited for the lock (a creation without a body takes none).
    expect(after.value('resumable_gateway_lock_wait_seconds_count', { outcome: 'acquired' })).toBe(2)
    expect(after.value('tusd_bytes_received')).toBe(300)
    expect(after.value('tusd_errors_total', { status: '400', code: 'ERR_UPLOAD_INTERRUPTED' })).toBe(1)
  })

  it('counts HTTP/2 sessions and their open streams', async () => {
    const session = http2.connect(`http://127.0.0.1:${gateway.port}`)
    open.push(session)
    const url = new URL((await send('POST', base, { 'tus-resumable': '1.0.0', 'upload-length': '100' })).headers.location as string, base)
    const stream = session.request({ ':method': 'PATCH', ':path': url.pathname, 'tus-resumable': '1.0.0', 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' })
    stream.on('error', () => {})
    stream.write(Buffer.alloc(10))
    await expect.poll(async () => (await metricsOf(gateway)).value('resumable_gateway_http2_streams')).toBe(1)
    expect((await metricsOf(gateway)).value('resumable_gateway_http2_sessions')).toBe(1)
    // The client cancels its stream (RST_STREAM), then leaves (GOAWAY).
    stream.close(http2.constants.NGHTTP2_CANCEL)
    await expect.poll(async () => (await metricsOf(gateway)).value('resumable_gateway_http2_streams')).toBe(0)
    session.close()
    await expect.poll(async () => (await metricsOf(gateway)).value('resumable_gateway_http2_sessions')).toBe(0)
  })
})

describe('hook metrics', () => {
  it('counts every hook call and every failure by type, and post-hooks given up', async () => {
    let preCreates = 0
    const backend: HookBackend = {
      description: 'a test backend',
      invoke: async ({ request }) => {
        if (request.Type === 'pre-create' && ++preCreates === 1) throw new Error('first call fails')
        if (request.Type === 'post-create') throw new Error('post-create always fails')
        return EMPTY_HOOK_RESPONSE
      },
    }
    const gateway = await startGateway({ tusdHooks: { backend, postHookRetryDelaysMs: [10] } })
    try {
      const base = `http://127.0.0.1:${gateway.port}${gateway.basePath}`
      const create = { 'tus-resumable': '1.0.0', 'upload-length': '0' }
      expect((await send('POST', base, create)).status).toBe(503)
      expect((await send('POST', base, create)).status).toBe(201)
      await expect.poll(async () => (await metricsOf(gateway)).value('resumable_gateway_post_hooks_dropped_total', { hooktype: 'post-create', reason: 'failed' })).toBe(1)
      const metrics = await metricsOf(gateway)
      expect(metrics.value('tusd_hook_invocations_total', { hooktype: 'pre-create' })).toBe(2)
      expect(metrics.value('tusd_hook_errors_total', { hooktype: 'pre-create' })).toBe(1)
      expect(metrics.value('tusd_hook_invocations_total', { hooktype: 'post-create' })).toBe(2)
      expect(metrics.value('tusd_hook_errors_total', { hooktype: 'post-create' })).toBe(2)
      expect(metrics.value('tusd_hook_invocations_total', { hooktype: 'post-finish' })).toBe(1)
      expect(metrics.value('tusd_errors_total', { status: '503', code: 'ERR_INTERNAL_SERVER_ERROR' })).toBe(1)
      expect(metrics.value('resumable_gateway_hook_duration_seconds_count', { hooktype: 'pre-create', outcome: 'failed' })).toBe(1)
      expect(metrics.value('resumable_gateway_post_hooks_queued')).toBe(0)
    } finally {
      await gateway.close()
    }
  })
})

describe('where the metrics are served', () => {
  it('on a port of their own with metricsListen: the gateway port then has no /metrics', async () => {
    const gateway = await startGateway({ metricsListen: { host: '127.0.0.1', port: 0 } })
    try {
      const metricsUrl = gateway.gateway.metricsUrl as string
      expect(new URL(metricsUrl).port).not.toBe(String(gateway.port))
      expect((await scrape(metricsUrl)).value('tusd_uploads_created')).toBe(0)
      expect((await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).status).toBe(404)
      expect((await fetch(new URL('/other', metricsUrl))).status).toBe(404)
    } finally {
      await gateway.close()
    }
  })

  it('nowhere with exposeMetrics false; HEAD of the path answers without a body', async () => {
    const off = await startGateway({ exposeMetrics: false })
    try {
      expect(off.gateway.metricsUrl).toBeUndefined()
      expect((await fetch(`http://127.0.0.1:${off.port}/metrics`)).status).toBe(404)
    } finally {
      await off.close()
    }
    const on = await startGateway()
    try {
      expect(on.gateway.metricsUrl).toBe(`https://127.0.0.1:${on.port}/metrics`)
      const head = await send('HEAD', `http://127.0.0.1:${on.port}/metrics`)
      expect([head.status, head.body, Number(head.headers['content-length'])]).toEqual([200, '', expect.any(Number)])
      expect(Number(head.headers['content-length'])).toBeGreaterThan(1000)
    } finally {
      await on.close()
    }
  })

  it('from the command line: --metrics-path on the gateway port', async () => {
    const gateway = await spawnGateway(['--log-level', 'silent', '--upload-dir', `${process.env['TMPDIR'] ?? '/tmp'}/rg-metrics-cli-${process.pid}`, '--metrics-path', '/prom'])
    try {
      expect((await scrape(`${gateway.origin}/prom`)).value('tusd_requests_total', { method: 'GET' })).toBe(0)
      expect((await fetch(`${gateway.origin}/metrics`)).status).toBe(404)
    } finally {
      await gateway.stop()
    }
  })
})
