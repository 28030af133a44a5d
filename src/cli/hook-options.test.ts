import { describe, expect, it } from 'vitest'
import { flagFailure, parseFlags, testEnv } from './command-line.test-support.js'

const setEnv = testEnv()

describe('hook and metrics flags', () => {
  it("has tusd's defaults, and no hooks until a backend is named", () => {
    expect(parseFlags([])).toMatchObject({
      hooksEnabledEvents: ['pre-create', 'post-create', 'post-receive', 'post-terminate', 'post-finish'],
      progressHooksInterval: 1000,
      hooksHttpRetry: 3,
      hooksHttpBackoff: 1000,
      hooksHttpTimeout: 15_000,
      hooksHttpSizeLimit: 5120,
      hooksHttpForwardHeaders: [],
      hooksHttpSkipVerify: false,
      hooksFileTimeout: 30_000,
      hooksQueueSize: 10_000,
      exposeMetrics: true,
      metricsPath: '/metrics',
    })
    expect(parseFlags([]).hooksHttp).toBeUndefined()
    expect(parseFlags([]).hooksDir).toBeUndefined()
    expect(parseFlags([]).metricsListen).toBeUndefined()
  })

  it('converts values', () => {
    expect(
      parseFlags([
        '--hooks-http=http://127.0.0.1:8000/hooks',
        '--hooks-enabled-events=pre-create, pre-access',
        '--hooks-http-retry=0',
        '--hooks-http-backoff=250ms',
        '--hooks-http-forward-headers=Authorization,X-Tenant',
        '--hooks-http-skip-verify',
        '--metrics-listen=127.0.0.1:9090',
        '--expose-metrics=false',
      ]),
    ).toMatchObject({
      hooksHttp: 'http://127.0.0.1:8000/hooks',
      hooksEnabledEvents: ['pre-create', 'pre-access'],
      hooksHttpRetry: 1,
      hooksHttpBackoff: 250,
      hooksHttpForwardHeaders: ['Authorization', 'X-Tenant'],
      hooksHttpSkipVerify: true,
      metricsListen: { host: '127.0.0.1', port: 9090 },
      exposeMetrics: false,
    })
    expect(parseFlags(['--metrics-listen', ':9100']).metricsListen).toEqual({ host: '0.0.0.0', port: 9100 })
    expect(parseFlags(['--metrics-listen', '[::1]:9100']).metricsListen).toEqual({ host: '::1', port: 9100 })
  })

  it("enables tusd's seven hooks for an empty --hooks-enabled-events, also from the environment", () => {
    expect(parseFlags(['--hooks-enabled-events', '']).hooksEnabledEvents).toHaveLength(7)
    setEnv('RESUMABLE_GATEWAY_HOOKS_ENABLED_EVENTS', '')
    expect(parseFlags([]).hooksEnabledEvents).toHaveLength(7)
  })

  it.each([
    [['--hooks-enabled-events', 'pre-create,post-upload'], '--hooks-enabled-events'],
    [['--hooks-http', 'localhost:8000'], '--hooks-http'],
    [['--hooks-http', 'ftp://x/'], '--hooks-http'],
    [['--hooks-http-retry', 'many'], '--hooks-http-retry'],
    [['--hooks-http-timeout', 'soon'], '--hooks-http-timeout'],
    [['--hooks-http-size-limit', 'big'], '--hooks-http-size-limit'],
    [['--hooks-http-size-limit', '0'], '--hooks-http-size-limit'],
    [['--hooks-http-forward-headers', 'a b'], '--hooks-http-forward-headers'],
    [['--hooks-queue-size', '0'], '--hooks-queue-size'],
    [['--progress-hooks-interval', 'often'], '--progress-hooks-interval'],
    [['--expose-metrics', 'maybe'], '--expose-metrics'],
    [['--metrics-path', 'metrics'], '--metrics-path'],
    [['--metrics-listen', '9090'], '--metrics-listen'],
  ])('refuses %j with a message naming %s', (args, flag) => {
    const message = flagFailure(args)
    expect(message).toContain(flag)
    expect(message).toContain(args[1])
  })
})
