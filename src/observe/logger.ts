import { createRequire } from 'node:module'
import { pino, type Logger } from 'pino'
import type PinoPretty from 'pino-pretty'

export type LogFormat = 'json' | 'pretty'
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const require = createRequire(import.meta.url)

/** A pino logger writing to stderr (stdout carries only the start-up line), as JSON lines or pretty text. */
export function createLogger(options: { level: LogLevel; format: LogFormat }): Logger {
  const base = { level: options.level, base: { service: 'resumable-gateway' } }
  if (options.format === 'pretty') {
    // Loaded only when asked for: pino-pretty and its 28 modules cost ~2 MiB that JSON logs do without.
    const pretty = require('pino-pretty') as typeof PinoPretty
    return pino(base, pretty({ destination: 2, sync: true, colorize: false }))
  }
  return pino(base, pino.destination({ dest: 2, sync: false }))
}
