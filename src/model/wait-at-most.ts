/**
 * Waits for `promise` to settle, at most `ms` milliseconds (none when `ms` is 0 or less), and never rejects: a
 * shutdown's bounded waits. The timer is cleared as soon as the promise settles, so it keeps nothing alive.
 */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))
  try {
    await Promise.race([promise.then(noop, noop), late])
  } finally {
    clearTimeout(timer)
  }
}

function noop(): void {}
