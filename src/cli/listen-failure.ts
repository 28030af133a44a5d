import { MetricsListenFailed } from '../observe/metrics-server.js'

// Errors of the address itself (getaddrinfo, or an address not on this host): the fault is --host's.
const HOST_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EADDRNOTAVAIL'])

const WHAT: Record<string, string> = {
  EADDRINUSE: 'the address is in use',
  EACCES: 'no permission to listen there (a port below 1024 needs privileges)',
  EADDRNOTAVAIL: 'no such address on this host',
  ENOTFOUND: 'cannot resolve the address',
  EAI_AGAIN: 'cannot resolve the address',
  EAI_FAIL: 'cannot resolve the address',
  EAI_NONAME: 'cannot resolve the address',
}

/**
 * The error `gateway.listen()` threw, as an `Error` naming the flag at fault and what is wrong, the system's
 * reason kept: `--port 8080: the address is in use (listen EADDRINUSE: ...)`, `--host ...`, `--metrics-listen ...`.
 * An error that is not the system's comes back as it is.
 */
export function listenFailure(error: unknown, flags: { host: string; port: number }): unknown {
  const metrics = error instanceof MetricsListenFailed ? error : undefined
  const cause = metrics === undefined ? error : metrics.cause
  const code = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined
  if (code === undefined) return error
  const flag = metrics !== undefined
    ? `--metrics-listen ${bracketed(metrics.host)}:${metrics.port}`
    : HOST_CODES.has(code)
      ? `--host ${flags.host}`
      : `--port ${flags.port}`
  return new Error(`${flag}: ${WHAT[code] ?? 'cannot listen there'} (${(cause as Error).message})`, { cause: error })
}

/** A host as it stands before `:port`: an IPv6 address in brackets (`[::1]:9090`), as the flag takes it. */
function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}
