import type { Problem } from './problem.js'

/**
 * A draft request refused by the codec itself (not by the core): a limit, a completed upload, an
 * inconsistent length, a digest that does not match. It carries the problem to answer with.
 */
export class DraftRefusal extends Error {
  constructor(
    /** For the request log, like a core error code. */
    readonly code: string,
    readonly problem: Problem,
    options?: { cause?: unknown },
  ) {
    super(problem.detail, options)
    this.name = 'DraftRefusal'
  }
}
