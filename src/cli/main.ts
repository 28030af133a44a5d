#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { createGateway } from '../gateway.js'
import type { TlsOptions } from '../transport/listener.js'
import { createLogger } from '../observe/logger.js'
import { turnOffIncrementalMarking } from './heap-tuning.js'
import { hooksFromFlags } from './hooks-from-flags.js'
import { contradictoryLimits } from './limit-flags.js'
import { listenFailure } from './listen-failure.js'
import { lockerFromFlags } from './locker-from-flags.js'
import { buildCommand, givenFlags, type CliOptions } from './options.js'
import { storeFromFlags } from './store-from-flags.js'
import { tlsFromFlags } from './tls-from-flags.js'

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

async function main(): Promise<void> {
  turnOffIncrementalMarking()
  const command = buildCommand(version)
  command.parse()
  const options = command.opts<CliOptions>()
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    command.error("error: --tls-cert and --tls-key go together; give both or neither")
  }
  const contradiction = contradictoryLimits(options)
  if (contradiction !== undefined) command.error(`error: ${contradiction}`)
  // Before anything is created or connected to: a certificate that cannot be used leaves nothing behind.
  const tls = tlsFromFlags(options)
  const logger = createLogger({ level: options.logLevel, format: options.logFormat })
  const lockers = await lockerFromFlags(options, logger)
  const gateway = await createGateway({
    host: options.host,
    port: options.port,
    basePath: options.basePath,
    uploadDir: options.uploadDir,
    fsync: options.fsync,
    store: await storeFromFlags(options, givenFlags(command)),
    locker: lockers.locker,
    expiredUploads: lockers.expiredUploads,
    maxSize: options.maxSize,
    maxPartialUploads: options.maxPartialUploads,
    maxFinalSize: options.maxFinalSize,
    behindProxy: options.behindProxy,
    networkTimeoutMs: options.networkTimeout,
    acquireLockTimeoutMs: options.acquireLockTimeout,
    shutdownTimeoutMs: options.shutdownTimeout,
    corsAllowOrigin: options.corsAllowOrigin,
    corsAllowHeaders: options.corsAllowHeaders,
    expireAfterMs: options.expireAfter,
    expireFinishedAfterMs: options.expireFinishedAfter,
    experimentalProtocol: options.experimentalProtocol,
    minSize: options.minSize,
    maxAppendSize: options.maxAppendSize,
    minAppendSize: options.minAppendSize,
    progressIntervalMs: options.progressInterval,
    tusdHooks: await hooksFromFlags(options, logger),
    exposeMetrics: options.exposeMetrics,
    metricsPath: options.metricsPath,
    metricsListen: options.metricsListen,
    maxConnections: options.maxConnections,
    maxConnectionsPerIp: options.maxConnectionsPerIp,
    minBodyRate: options.minBodyRate,
    logger,
    tls,
    upstream: options.upstream,
    upstreamTimeoutMs: options.upstreamTimeout,
    upstreamRetries: options.upstreamRetries,
    upstreamMaxDeliveries: options.upstreamMaxDeliveries,
    demoPath: options.demo === false ? undefined : options.demo,
  })
  const url = await gateway.listen().catch((error: unknown) => {
    throw listenFailure(error, options)
  })
  process.stdout.write(`resumable-gateway listening on ${url}\n`)
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once')
      process.exit(1)
    }
    stopping = true
    // close() stops accepting before it returns, so once this line is out new connections are refused.
    const closed = gateway.close()
    logger.info({ signal }, 'shutting down')
    closed.then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  if (options.tlsCert !== undefined) {
    // SIGHUP re-reads the certificate and key (e.g. after a renewal): new connections get them; a
    // pair that cannot be read or does not match is logged and the old one stays.
    process.on('SIGHUP', () => {
      try {
        gateway.setTlsCredentials(tlsFromFlags(options) as TlsOptions)
        logger.info({ cert: options.tlsCert }, 'TLS certificate reloaded')
      } catch (error) {
        logger.error({ err: error, cert: options.tlsCert }, 'TLS certificate reload failed; keeping the old one')
      }
    })
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`resumable-gateway: ${message}\n`)
  process.exit(1)
})
