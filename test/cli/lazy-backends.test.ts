import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { spawnProbedGateway, type ProbedGateway } from './probed-gateway.js'

// The clients of optional backends cost memory as soon as they are loaded (measured on Node 20: undici ~20 MiB,
// ioredis ~25 MiB, the AWS SDK ~22 MiB): a gateway on its file store loads none of them, so that its memory is
// what the README says. So do the parts of other packages that only some gateways use: pino-pretty (~2 MiB,
// for --log-format pretty) and prom-client's index with @opentelemetry/api (~5 MiB, for process metrics, loaded
// at the first scrape). A preloaded probe lists the packages node has loaded when the gateway has started.

const OPTIONAL = ['undici', 'ioredis', '@aws-sdk', '@azure', '@google-cloud', 'pino-pretty', '@opentelemetry'] as const

const PROBE = `
process.on('SIGUSR2', () => {
  const loaded = Object.keys(require.cache).filter((file) => file.includes('node_modules'))
  process.stderr.write('LOADED ' + JSON.stringify(loaded) + '\\n')
})
`

let probed: ProbedGateway | undefined

afterEach(async () => {
  await probed?.stop()
  probed = undefined
})

async function packagesLoadedBy(args: string[]): Promise<string[]> {
  probed = await spawnProbedGateway(PROBE, args)
  return JSON.parse(await probed.ask('LOADED')) as string[]
}

it('a gateway on its file store loads no client of an optional backend (undici, ioredis, cloud SDKs), no pino-pretty, no @opentelemetry', async () => {
  const loaded = await packagesLoadedBy([])
  expect(loaded.some((file) => file.includes(`${path.sep}pino${path.sep}`)), 'the probe sees the packages the gateway loads').toBe(true)
  for (const name of OPTIONAL) expect(loaded.filter((file) => file.includes(`node_modules${path.sep}${name}`)), name).toEqual([])
})

it('--log-format pretty loads pino-pretty, which it needs', async () => {
  const loaded = await packagesLoadedBy(['--log-format', 'pretty'])
  expect(loaded.some((file) => file.includes(`node_modules${path.sep}pino-pretty`))).toBe(true)
})

it('upstream mode loads undici, which it needs', async () => {
  const loaded = await packagesLoadedBy(['--upstream', 'http://127.0.0.1:9'])
  expect(loaded.some((file) => file.includes(`node_modules${path.sep}undici`))).toBe(true)
})
