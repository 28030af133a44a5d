#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { createGateway } from '../gateway.js'
import { createLogger } from '../observe/logger.js'
import { buildCommand, type CliOptions } from './options.js'

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

async function main(): Promise<void> {
  const command = buildCommand(version)
  command.parse()
  const options = command.opts<CliOptions>()
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    command.error("error: --tls-cert and --tls-key go together; give both or neither")
  }
  const logger = createLogger({ level: options.logLevel, format: options.logFormat })
  const gateway = await createGateway({
    host: options.host,
    port: options.port,
    basePath: options.basePath,
    uploadDir: options.uploadDir,
    maxSize: options.maxSize,
    behindProxy: options.behindProxy,
    networkTimeoutMs: options.networkTimeout,
    acquireLockTimeoutMs: options.acquireLockTimeout,
    shutdownTimeoutMs: options.shutdownTimeout,
    corsAllowOrigin: options.corsAllowOrigin,
    logger,
    tls:
      options.tlsCert === undefined || options.tlsKey === undefined
        ? undefined
        : { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey), minVersion: options.tlsMinVersion },
  })
  const url = await gateway.listen()
  process.stdout.write(`resumable-gateway listening on ${url}\n`)
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once')
      process.exit(1)
    }
    stopping = true
    logger.info({ signal }, 'shutting down')
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`resumable-gateway: ${message}\n`)
  process.exit(1)
})
