import type { Locker } from '../lock/locker.js'
import type { CliOptions } from './options.js'

/**
 * The locker the flags ask for (`--locker`); undefined: the gateway's memory locker, for one process.
 * Throws with a message naming the flag when the flags contradict each other.
 */
export async function lockerFromFlags(_options: CliOptions): Promise<Locker | undefined> {
  return undefined
}
