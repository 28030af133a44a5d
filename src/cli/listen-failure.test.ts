import { describe, expect, it } from 'vitest'
import { MetricsListenFailed } from '../observe/metrics-server.js'
import { listenFailure } from './listen-failure.js'

const inUse = (): Error => Object.assign(new Error('listen EADDRINUSE: address already in use'), { code: 'EADDRINUSE' })

describe('listenFailure', () => {
  it('names the flag as it is written: an IPv6 address of --metrics-listen in brackets', () => {
    const failure = listenFailure(new MetricsListenFailed('::1', 9090, { cause: inUse() }), { host: '0.0.0.0', port: 1080 })
    expect((failure as Error).message).toMatch(/^--metrics-listen \[::1\]:9090: the address is in use/)
  })

  it('names --port for an address in use on the main port', () => {
    expect((listenFailure(inUse(), { host: '0.0.0.0', port: 1080 }) as Error).message).toMatch(/^--port 1080: the address is in use/)
  })
})
