import { InvalidArgumentError, Option } from 'commander'
import { DEFAULT_ENABLED_HOOKS, parseEnabledHooks, type HookType } from '../hooks/hook-types.js'
import { parseBoolean, parseDuration, parseHeaderNames, parsePositiveDuration, parseSize } from './parse-values.js'

/** The flags of hooks and metrics (tusd's names), each also `RESUMABLE_GATEWAY_<NAME>`. */
export interface HookCliOptions {
  hooksEnabledEvents: HookType[]
  progressHooksInterval: number
  hooksDir?: string
  hooksFileTimeout: number
  hooksHttp?: string
  hooksHttpRetry: number
  hooksHttpBackoff: number
  hooksHttpTimeout: number
  hooksHttpSizeLimit: number
  hooksHttpForwardHeaders: string[]
  hooksHttpSkipVerify: boolean
  hooksQueueSize: number
  exposeMetrics: boolean
  metricsPath: string
  metricsListen?: { host: string; port: number }
}

function option(flags: string, description: string, env: string): Option {
  return new Option(flags, description).env(`RESUMABLE_GATEWAY_${env}`)
}

/** The hook and metrics flags, for `buildCommand`. */
export function hookOptions(): Option[] {
  return [
    option('--hooks-enabled-events <events>', 'hook events to call, comma-separated (empty: all seven of tusd; pre-access only when named)', 'HOOKS_ENABLED_EVENTS')
      .default([...DEFAULT_ENABLED_HOOKS], DEFAULT_ENABLED_HOOKS.join(','))
      .argParser(parseEvents),
    option('--progress-hooks-interval <duration>', 'least time between two post-receive hooks of one upload', 'PROGRESS_HOOKS_INTERVAL')
      .default(1000, '1s')
      .argParser(parseDuration),
    option('--hooks-dir <dir>', 'run hooks as the files <dir>/<event> (tusd file hooks; wins over --hooks-http)', 'HOOKS_DIR'),
    option('--hooks-file-timeout <duration>', 'kill a file hook that runs longer, and count it as failed (above 0)', 'HOOKS_FILE_TIMEOUT')
      .default(30_000, '30s')
      .argParser(parsePositiveDuration),
    option('--hooks-http <url>', 'POST each hook to this URL (tusd HTTP hooks)', 'HOOKS_HTTP').argParser(parseHookUrl),
    option('--hooks-http-retry <attempts>', 'attempts per HTTP hook, the first included (network errors and 5xx are tried again)', 'HOOKS_HTTP_RETRY')
      .default(3)
      .argParser(parseAttempts),
    option('--hooks-http-backoff <duration>', 'pause between two attempts of an HTTP hook', 'HOOKS_HTTP_BACKOFF').default(1000, '1s').argParser(parseDuration),
    option('--hooks-http-timeout <duration>', 'deadline for all attempts of an HTTP hook (above 0)', 'HOOKS_HTTP_TIMEOUT')
      .default(15_000, '15s')
      .argParser(parsePositiveDuration),
    option('--hooks-http-size-limit <bytes>', 'largest HTTP hook answer body (at least 1)', 'HOOKS_HTTP_SIZE_LIMIT').default(5120).argParser(parseAnswerSizeLimit),
    option('--hooks-http-forward-headers <headers>', 'client request headers copied onto HTTP hook requests, comma-separated', 'HOOKS_HTTP_FORWARD_HEADERS')
      .default([], 'none')
      .argParser(parseHeaderNames),
    option('--hooks-http-skip-verify [boolean]', "accept any TLS certificate from the hook server", 'HOOKS_HTTP_SKIP_VERIFY')
      .default(false)
      .preset(true)
      .argParser(parseBoolean),
    option('--hooks-queue-size <count>', 'most post-hooks held for delivery; past it post-receive hooks give way, then new ones are dropped', 'HOOKS_QUEUE_SIZE')
      .default(10_000)
      .argParser(parseQueueSize),
    option('--expose-metrics [boolean]', 'serve Prometheus metrics', 'EXPOSE_METRICS').default(true).preset(true).argParser(parseBoolean),
    option('--metrics-path <path>', 'URL path of the metrics', 'METRICS_PATH').default('/metrics').argParser(parseMetricsPath),
    option('--metrics-listen <address>', 'serve the metrics on this host:port instead of the gateway port (e.g. 127.0.0.1:9090)', 'METRICS_LISTEN').argParser(parseListen),
  ]
}

function parseEvents(value: string): HookType[] {
  try {
    return parseEnabledHooks(value)
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message)
  }
}

function parseHookUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://localhost:8000/hooks')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http or https URL')
  return value
}

function parseAttempts(value: string): number {
  // tusd's pester takes 0 as one attempt too.
  if (!/^\d{1,3}$/.test(value.trim())) throw new InvalidArgumentError('expected a number of attempts, such as 3')
  return Math.max(1, Number(value))
}

function parseAnswerSizeLimit(value: string): number {
  const bytes = parseSize(value)
  // Not 0 = "no limit" as --max-size has it: the answer is held in memory, which must stay bounded; and
  // with 0 every hook would fail.
  if (bytes < 1) throw new InvalidArgumentError('expected at least 1 byte (a hook answer is held in memory, so there is always a limit)')
  return bytes
}

function parseQueueSize(value: string): number {
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError('expected a positive number')
  return Number(value)
}

function parseMetricsPath(value: string): string {
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(value)) throw new InvalidArgumentError('expected a URL path such as /metrics')
  return value
}

/** `host:port`, `[ipv6]:port` or `:port` (every address). */
function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim())
  if (match === null || Number(match[3]) > 65535) throw new InvalidArgumentError('expected host:port, such as 127.0.0.1:9090 or :9090')
  return { host: match[1] ?? (match[2] === '' || match[2] === undefined ? '0.0.0.0' : match[2]), port: Number(match[3]) }
}
