import http2, { type ClientHttp2Session } from 'node:http2'
import { expect } from 'vitest'
import { describeRequest, resolveRequest, type FuzzRequest } from './arbitraries.js'
import { sendHttp1, sendHttp2 } from './fuzz-clients.js'
import { internalErrors, type FuzzGateway } from './fuzz-gateway.js'
import { idOf } from '../support/tus.js'

/** A fuzzing run: the gateway, and the ids of the uploads known so far (the fixtures, then every upload created). */
export interface SurfaceRun {
  readonly gateway: FuzzGateway
  readonly ids: string[]
}

function remember(run: SurfaceRun, status: number | undefined, location: string | undefined): void {
  if (status === 201 && location !== undefined) run.ids.push(idOf(location))
}

/**
 * Sends `request` over HTTP/1.1 on its own connection (`Connection: close`) and checks the answer: one
 * final response, not a 5xx, and the connection closed as asked.
 */
export async function checkHttp1(run: SurfaceRun, request: FuzzRequest): Promise<void> {
  const resolved = resolveRequest(request, run.ids)
  const exchange = await sendHttp1(resolved, run.gateway.port)
  const context = `${describeRequest(resolved)}\n${exchange.text.slice(0, 400)}`
  expect(exchange.ended, context).toBe('closed')
  expect(exchange.finals, context).toHaveLength(1)
  expect(exchange.finals[0]?.status, context).toBeLessThan(500)
  remember(run, exchange.finals[0]?.status, exchange.finals[0]?.headers['location'])
}

/**
 * Sends `request` on an h2c stream of `session` and checks the answer: a response that is not a 5xx, or
 * a reset with PROTOCOL_ERROR (RFC 9113 §8.1.1: node refuses a malformed request, e.g. `:path: *` on
 * another method than OPTIONS, before the gateway sees it). Returns false when node's client would not
 * send the request at all.
 */
export async function checkHttp2(run: SurfaceRun, session: ClientHttp2Session, request: FuzzRequest): Promise<boolean> {
  const resolved = resolveRequest(request, run.ids)
  const outcome = sendHttp2(session, resolved)
  if (outcome === undefined) return false
  const result = await outcome
  if (result.kind === 'reset') {
    expect(result.code, describeRequest(resolved)).toBe(http2.constants.NGHTTP2_PROTOCOL_ERROR)
  } else {
    expect(result.status, `${describeRequest(resolved)}\n${result.body}`).toBeLessThan(500)
    remember(run, result.status, result.location)
  }
  return true
}

/** The gateway still answers, and never logged an unknown error. */
export async function expectHealthy(run: SurfaceRun): Promise<void> {
  const { gateway } = run
  expect(internalErrors(gateway)).toEqual([])
  expect((await fetch(`${gateway.origin}${gateway.basePath}`, { method: 'OPTIONS' })).status).toBe(200)
}
