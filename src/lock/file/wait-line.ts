import { mkdirSync, readdirSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'
import { isMissing, readIfThere, removeIfThere, replaceAtomically } from './file-ops.js'
import type { LockFiles } from './lock-files.js'
import type { ProcessIdentity } from './process-identity.js'

/** A request waiting for a lock, in whichever process: its place in line, its token, and whether it asks holders to release. */
export interface Ticket {
  /** The file name in the line's directory; names sort in arrival order. */
  readonly name: string
  readonly token: string
  readonly requestRelease: boolean
}

// `<arrival: 20 digits>_<token>_<r: asks holders to release | p: polite>`
const TICKET = /^(\d{20})_([A-Za-z0-9-]+)_([rp])$/

/**
 * The waiting line of each id (synchronous calls, as `file-ops.ts` explains), shared by every process on the directory: `<id>.lock.q/`, one ticket
 * file per waiting request. A ticket's name starts with its arrival time on the host's monotonic clock
 * (nanoseconds since boot, the same clock for every process of the host), so the directory listed and
 * sorted is the line in arrival order; its content names the waiting process, so that a holder can
 * skip the tickets of processes that died. The directory exists only while someone waits.
 */
export class WaitLine {
  readonly #files: LockFiles

  constructor(files: LockFiles) {
    this.#files = files
  }

  /** Puts a ticket for `token` at the end of `id`'s line. Throws file system errors. */
  join(id: string, token: string, requestRelease: boolean, holder: ProcessIdentity): Ticket {
    const arrival = process.hrtime.bigint().toString().padStart(20, '0')
    const ticket: Ticket = { name: `${arrival}_${token}_${requestRelease ? 'r' : 'p'}`, token, requestRelease }
    const directory = this.#files.line(id)
    for (;;) {
      mkdirSync(directory, { recursive: true })
      try {
        replaceAtomically(join(directory, ticket.name), JSON.stringify(holder))
        return ticket
      } catch (error) {
        // The last ticket of the line left and removed the directory between our mkdir and our write.
        if (!isMissing(error)) throw error
      }
    }
  }

  /** The tickets of `id`'s line in arrival order (none when nobody waits). Throws file system errors. */
  tickets(id: string): Ticket[] {
    let names: string[]
    try {
      names = readdirSync(this.#files.line(id))
    } catch (error) {
      if (isMissing(error)) return []
      throw error
    }
    return names
      .sort()
      .flatMap((name) => {
        const match = TICKET.exec(name)
        return match === null ? [] : [{ name, token: match[2] as string, requestRelease: match[3] === 'r' }]
      })
  }

  /** Who waits with `ticket`; undefined when the ticket is gone or unreadable. */
  holder(id: string, ticket: Ticket): ProcessIdentity | undefined {
    const text = readIfThere(join(this.#files.line(id), ticket.name))
    if (text === undefined) return undefined
    try {
      const parsed = JSON.parse(text) as ProcessIdentity
      return typeof parsed.pid === 'number' ? parsed : undefined
    } catch {
      return undefined
    }
  }

  /** Takes `ticket` out of the line (a no-op when it is gone), and the directory with the last one. */
  leave(id: string, ticket: Ticket): void {
    const directory = this.#files.line(id)
    removeIfThere(join(directory, ticket.name))
    try {
      rmdirSync(directory)
    } catch {
      // Fails while other tickets (or one being written) are in it: then it stays, as it should.
    }
  }
}
