import { describe, expect, it } from 'vitest'
import { flagFailure, parseFlags, testEnv } from './command-line.test-support.js'
import { buildCommand } from './options.js'

const FLAGS = [
  '--host',
  '--port',
  '--base-path',
  '--upload-dir',
  '--max-size',
  '--behind-proxy',
  '--network-timeout',
  '--acquire-lock-timeout',
  '--shutdown-timeout',
  '--cors-allow-origin',
  '--log-level',
  '--log-format',
  '--tls-cert',
  '--tls-key',
  '--tls-min-version',
  '--upstream',
  '--upstream-timeout',
  '--upstream-retries',
  '--upstream-max-deliveries',
  '--demo',
  '--max-connections',
  '--max-connections-per-ip',
  '--min-body-rate',
]

const setEnv = testEnv()

describe('command line', () => {
  it('has tusd-like defaults', () => {
    expect(parseFlags([])).toMatchObject({
      host: '0.0.0.0',
      port: 1080,
      basePath: '/files/',
      uploadDir: './data',
      maxSize: 0,
      behindProxy: false,
      networkTimeout: 60_000,
      acquireLockTimeout: 20_000,
      shutdownTimeout: 10_000,
      corsAllowOrigin: '*',
      logLevel: 'info',
      logFormat: 'json',
      tlsMinVersion: 'TLSv1.2',
      minBodyRate: 0,
    })
    // Left to the gateway, which derives them from the open-file limit.
    expect(parseFlags([]).maxConnections).toBeUndefined()
    expect(parseFlags([]).maxConnectionsPerIp).toBeUndefined()
  })

  it('lists every flag in --help, each with its environment variable', () => {
    const help = buildCommand('0.0.0-test').helpInformation()
    for (const flag of FLAGS) {
      expect(help).toContain(flag)
      expect(help).toContain(`RESUMABLE_GATEWAY_${flag.slice(2).toUpperCase().replace(/-/g, '_')}`)
    }
  })

  it('gives every flag an environment variable', () => {
    for (const option of buildCommand('0.0.0-test').options) {
      if (option.long === '--version') continue
      expect(option.envVar, option.long).toBe(`RESUMABLE_GATEWAY_${option.attributeName().replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`)
    }
  })

  it('converts values: sizes with units, durations, origins', () => {
    const options = parseFlags([
      '--port=0',
      '--max-size=2GiB',
      '--network-timeout=1s',
      '--acquire-lock-timeout=500ms',
      '--shutdown-timeout=2m',
      '--cors-allow-origin=https://a.example,https://b.example',
      '--behind-proxy',
      '--max-connections=300',
      '--max-connections-per-ip=0',
      '--min-body-rate=1KiB',
    ])
    expect(options).toMatchObject({
      maxConnections: 300,
      maxConnectionsPerIp: 0,
      minBodyRate: 1024,
      port: 0,
      maxSize: 2 * 1024 ** 3,
      networkTimeout: 1000,
      acquireLockTimeout: 500,
      shutdownTimeout: 120_000,
      corsAllowOrigin: ['https://a.example', 'https://b.example'],
      behindProxy: true,
    })
  })

  it('reads every flag from RESUMABLE_GATEWAY_<FLAG>, and a flag wins over its variable', () => {
    setEnv('RESUMABLE_GATEWAY_PORT', '0')
    setEnv('RESUMABLE_GATEWAY_MAX_SIZE', '10MB')
    setEnv('RESUMABLE_GATEWAY_LOG_LEVEL', 'silent')
    setEnv('RESUMABLE_GATEWAY_BEHIND_PROXY', 'false')
    expect(parseFlags([])).toMatchObject({ port: 0, maxSize: 10_000_000, logLevel: 'silent', behindProxy: false })
    expect(parseFlags(['--port', '8080']).port).toBe(8080)
  })

  it.each([
    [['--port', 'x'], '--port'],
    [['--max-size', 'lots'], '--max-size'],
    [['--network-timeout', 'soon'], '--network-timeout'],
    [['--acquire-lock-timeout', '-1'], '--acquire-lock-timeout'],
    [['--log-level', 'loud'], '--log-level'],
    [['--log-format', 'xml'], '--log-format'],
    [['--cors-allow-origin', 'example.com'], '--cors-allow-origin'],
    [['--base-path', '/a b/'], '--base-path'],
    [['--tls-min-version', 'TLSv1.0'], '--tls-min-version'],
    [['--upstream', 'ftp://app'], '--upstream'],
    [['--upstream', 'http://app/?q=1'], '--upstream'],
    [['--upstream-timeout', 'later'], '--upstream-timeout'],
    [['--upstream-retries', '11'], '--upstream-retries'],
    [['--upstream-max-deliveries', '0'], '--upstream-max-deliveries'],
    [['--demo', 'demo'], '--demo'],
    [['--max-connections', '-5'], '--max-connections'],
    [['--max-connections-per-ip', 'many'], '--max-connections-per-ip'],
    [['--min-body-rate', 'fast'], '--min-body-rate'],
  ])('refuses %j with a message naming %s', (args, flag) => {
    const message = flagFailure(args)
    expect(message).toContain(flag)
    expect(message).toContain(args[1])
  })

  it('refuses a bad environment value with a message naming the variable', () => {
    setEnv('RESUMABLE_GATEWAY_PORT', 'x')
    expect(flagFailure([])).toMatch(/RESUMABLE_GATEWAY_PORT/)
  })

  it('refuses unknown flags', () => {
    expect(flagFailure(['--uploads-dir', '/tmp'])).toContain('--uploads-dir')
  })

  it('reads the upstream flags and the demo page, from flags and from the environment', () => {
    expect(parseFlags([])).toMatchObject({ upstreamTimeout: 60_000, upstreamRetries: 2, upstreamMaxDeliveries: 8, demo: false })
    expect(parseFlags([]).upstream).toBeUndefined()
    const given = parseFlags(['--upstream', 'http://127.0.0.1:3000', '--upstream-timeout', '5s', '--upstream-retries', '0', '--upstream-max-deliveries', '3', '--demo'])
    expect(given).toMatchObject({ upstream: 'http://127.0.0.1:3000/', upstreamTimeout: 5000, upstreamRetries: 0, upstreamMaxDeliveries: 3, demo: '/demo/' })
    expect(parseFlags(['--demo', '/ui/']).demo).toBe('/ui/')
    setEnv('RESUMABLE_GATEWAY_UPSTREAM', 'https://app.internal/prefix')
    setEnv('RESUMABLE_GATEWAY_DEMO', 'false')
    expect(parseFlags([])).toMatchObject({ upstream: 'https://app.internal/prefix', demo: false })
  })
})
