import { join } from 'node:path'
import type { ProcessIdentity } from './process-identity.js'

/**
 * The files of the file locker, next to the uploads:
 *
 * - `<id>.lock`: the lock (tusd's name). Its first line is the holder's pid, which is all tusd's
 *   filelocker reads, so tusd and the gateway respect each other's locks on one directory; the second
 *   line is ours, JSON: the grant's token and fence, the holder's identity, and whether someone waited
 *   for it already when it was handed over.
 * - `<id>.stop`: a release request (tusd's name: tusd's holders also let go when it appears). Ours names
 *   the token of the holder it asks; one written by tusd is empty and asks whoever holds the lock.
 * - `<id>.lock.stop`: a stop request (`requestStop`), JSON: the token it is for and the details.
 * - `<id>.lock.q/`: the waiting line, a directory of one ticket per waiting request (see `wait-line.ts`).
 * - `<id>.lock.<token>.reap`: held while a dead holder's lock is removed (see `stale-lock.ts`).
 * - `<name>.<16 hex>.new`: a file being written, linked or renamed to `<name>` once complete.
 */
export class LockFiles {
  constructor(readonly directory: string) {}

  lock(id: string): string {
    return join(this.directory, `${id}.lock`)
  }

  releaseRequest(id: string): string {
    return join(this.directory, `${id}.stop`)
  }

  stopRequest(id: string): string {
    return join(this.directory, `${id}.lock.stop`)
  }

  line(id: string): string {
    return join(this.directory, `${id}.lock.q`)
  }

  /**
   * What a change of directory entry `name` concerns: an id's lock, its release request or its stop
   * request; undefined for anything else (the uploads' own files, temporary files).
   */
  static concerns(name: string): { kind: 'lock' | 'release' | 'stop'; id: string } | undefined {
    if (name.endsWith('.lock')) return { kind: 'lock', id: name.slice(0, -'.lock'.length) }
    if (name.endsWith('.lock.stop')) return { kind: 'stop', id: name.slice(0, -'.lock.stop'.length) }
    if (name.endsWith('.stop')) return { kind: 'release', id: name.slice(0, -'.stop'.length) }
    return undefined
  }
}

/** One grant of a lock, as its `<id>.lock` file records it. */
export interface LockRecord {
  /**
   * Unique per grant. A lock file written by tusd has none: it is named after its pid then, which is
   * enough to tell one tusd lock from the next (the pid changes with the process).
   */
  readonly token: string
  /** 0 for a lock written by tusd. */
  readonly fence: number
  readonly holder: ProcessIdentity
  /** Someone waited for the lock when it was handed to this holder: it is asked to release at once. */
  readonly asked: boolean
}

/** The text of a lock file: tusd's pid line, then ours. */
export function formatLock(record: LockRecord): string {
  const { pid, ...holder } = record.holder
  return `${pid}\n${JSON.stringify({ token: record.token, fence: record.fence, holder, asked: record.asked })}\n`
}

/**
 * Reads a lock file's text; undefined when it is no lock file at all (empty, no pid line). A lock file
 * of tusd (a pid line only), or one whose second line cannot be read, is a grant without fence whose
 * token is made of its pid: its holder is then checked by pid alone, as tusd does.
 */
export function parseLock(text: string): LockRecord | undefined {
  const newline = text.indexOf('\n')
  const pidLine = newline < 0 ? text : text.slice(0, newline)
  if (!/^\d{1,10}$/.test(pidLine.trim())) return undefined
  const pid = Number(pidLine.trim())
  if (pid <= 0) return undefined
  const rest = newline < 0 ? '' : text.slice(newline + 1).trim()
  const pidOnly: LockRecord = { token: `pid-${pid}`, fence: 0, holder: { pid }, asked: false }
  if (rest === '') return pidOnly
  try {
    const parsed = JSON.parse(rest) as { token?: unknown; fence?: unknown; holder?: unknown; asked?: unknown }
    if (typeof parsed.token !== 'string' || typeof parsed.fence !== 'number') return pidOnly
    const fields = typeof parsed.holder === 'object' && parsed.holder !== null ? (parsed.holder as Record<string, unknown>) : {}
    const holder: ProcessIdentity = { pid, ...stringFields(fields, ['start', 'boot', 'pidns']) }
    return { token: parsed.token, fence: parsed.fence, holder, asked: parsed.asked === true }
  } catch {
    return pidOnly
  }
}

function stringFields(source: Record<string, unknown>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (typeof source[name] === 'string' ? [[name, source[name]]] : [])))
}
