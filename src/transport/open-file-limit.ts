import { readFileSync } from 'node:fs'

/**
 * The process's soft limit on open file descriptors (RLIMIT_NOFILE), `Infinity` when unlimited, or
 * undefined when it cannot be known. node has no getrlimit: on Linux the limit is read from
 * `/proc/self/limits` (node itself raises the soft limit to the hard one at start-up, so this is what
 * the process really has); elsewhere it is unknown. Never throws.
 */
export function openFileLimit(read: () => string = () => readFileSync('/proc/self/limits', 'latin1')): number | undefined {
  let text: string
  try {
    text = read()
  } catch {
    return undefined
  }
  // "Max open files            1024                 1048576              files"
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(text)
  if (match === null) return undefined
  return match[1] === 'unlimited' ? Infinity : Number(match[1])
}
