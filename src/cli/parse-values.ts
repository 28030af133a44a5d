import { InvalidArgumentError } from 'commander'

/** A TCP port, 0 to 65535 (0 picks a free port). */
export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535')
  return Number(value)
}

const SIZE = /^(\d{1,15})\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?$/i
const SIZE_FACTORS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
}

/** A size in bytes: a plain number, or with a unit (`500MB`, `2GiB`, `10k`). */
export function parseSize(value: string): number {
  const match = SIZE.exec(value.trim())
  if (match === null) throw new InvalidArgumentError('expected a size in bytes, such as 1073741824, 500MB or 2GiB')
  const bytes = Number(match[1]) * (SIZE_FACTORS[(match[2] ?? 'b').toLowerCase()] ?? 1)
  if (!Number.isSafeInteger(bytes)) throw new InvalidArgumentError('size is too large')
  return bytes
}

const DURATION = /^(\d{1,9}(?:\.\d{1,3})?)\s*(ms|s|m|h)?$/
const DURATION_FACTORS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** A duration in milliseconds from `500ms`, `60s`, `2m`, `1h`, or a plain number of seconds. */
export function parseDuration(value: string): number {
  const match = DURATION.exec(value.trim())
  if (match === null) throw new InvalidArgumentError('expected a duration such as 500ms, 60s, 2m or 1h (a plain number means seconds)')
  return Math.round(Number(match[1]) * (DURATION_FACTORS[match[2] ?? 's'] ?? 1000))
}

/** A duration of at least 1 ms (see `parseDuration`), for waits where 0 would mean "give up at once", not "off". */
export function parsePositiveDuration(value: string): number {
  const ms = parseDuration(value)
  if (ms < 1) throw new InvalidArgumentError('expected a duration above 0, such as 500ms or 20s')
  return ms
}

/** `*`, or a comma-separated list of origins such as `https://app.example.com`. */
export function parseOrigins(value: string): '*' | string[] {
  if (value.trim() === '*') return '*'
  const origins = value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '')
  for (const origin of origins) {
    if (!/^https?:\/\/[^\s/]+$/.test(origin)) throw new InvalidArgumentError(`"${origin}" is not an origin like https://example.com`)
  }
  if (origins.length === 0) throw new InvalidArgumentError('expected * or a list of origins')
  return origins
}

/** A base path such as `/files/`: URL path characters only. */
export function parseBasePath(value: string): string {
  if (!/^\/?[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(value)) throw new InvalidArgumentError('expected a URL path such as /files/')
  // A full URL (`http://host/files/`) is a common slip; and clients resolve `.`/`..` segments before
  // sending (WHATWG URL), so a base path holding them would never match a request.
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) throw new InvalidArgumentError('expected a path such as /files/, not a URL')
  if (value.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new InvalidArgumentError('expected a path without . or .. segments')
  }
  return value
}

/** `true`/`false` and their usual spellings (`1`, `yes`, `on` / `0`, `no`, `off`), for flags also set by environment variables. */
export function parseBoolean(value: string | boolean): boolean {
  // commander passes the preset (true) itself when the flag is given without a value.
  if (typeof value === 'boolean') return value
  const normalized = value.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(normalized)) return true
  if (['0', 'false', 'no', 'off', ''].includes(normalized)) return false
  throw new InvalidArgumentError('expected true or false')
}

/** A Redis URL: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. */
export function parseRedisUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw new InvalidArgumentError('expected a URL such as redis://127.0.0.1:6379 or rediss://user:password@host:6380/0')
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new InvalidArgumentError('expected a redis:// or rediss:// URL')
  if (url.hostname === '') throw new InvalidArgumentError('expected a host in the Redis URL')
  if (!/^\/?(\d{1,2})?$/.test(url.pathname)) throw new InvalidArgumentError('expected a database number as the path of the Redis URL, such as /0')
  return value.trim()
}

/** A prefix for Redis keys and channels: printable ASCII without spaces, at most 64 characters. */
export function parseKeyPrefix(value: string): string {
  if (!/^[!-~]{1,64}$/.test(value)) throw new InvalidArgumentError('expected 1 to 64 printable characters without spaces, such as uploads:')
  return value
}

/** A lease of at least 300 ms (see `parseDuration`). */
export function parseLease(value: string): number {
  const ms = parseDuration(value)
  if (ms < 300) throw new InvalidArgumentError('expected at least 300ms')
  return ms
}

// RFC 9110 §5.1: a field name is a token.
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** A comma-separated list of header names, such as `X-CSRF-Token, X-Tenant`. */
export function parseHeaderNames(value: string): string[] {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '')
  for (const name of names) {
    if (!FIELD_NAME.test(name)) throw new InvalidArgumentError(`"${name}" is not a header name`)
  }
  return names
}

/** An application's base URL for upstream mode: `http://` or `https://`, a host, maybe a path; no query or fragment. */
export function parseUpstreamUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://127.0.0.1:3000')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// URL')
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError('expected a URL without query, fragment or credentials')
  }
  return url.href
}

/** A whole number from `min` to `max`. */
export function parseCount(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`)
    }
    return Number(value.trim())
  }
}

/** `--demo`: a switch (`true` serves the page at `/demo/`) or the path to serve it at. */
export function parseDemo(value: string | boolean): string | false {
  if (typeof value === 'boolean') return value ? '/demo/' : false
  const normalized = value.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(normalized)) return '/demo/'
  if (['0', 'false', 'no', 'off', ''].includes(normalized)) return false
  if (!value.trim().startsWith('/')) throw new InvalidArgumentError('expected true, false or a path such as /demo/')
  return parseBasePath(value.trim())
}

/** An endpoint URL such as `https://storage.example.com` or `http://127.0.0.1:4443` (tusd: must start with http:// or https://). */
export function parseEndpoint(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidArgumentError('expected a URL starting with http:// or https://')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected a URL starting with http:// or https://')
  return value.replace(/\/+$/, '')
}

/** A GCS object prefix such as `uploads` or `tenant/uploads`: no `_`, which tusd splits object names on. */
export function parseGcsObjectPrefix(value: string): string {
  if (value.includes('_')) throw new InvalidArgumentError('must not contain "_" (tusd splits object names on it)')
  if (value.startsWith('/')) throw new InvalidArgumentError('must not start with "/"')
  return value
}
