import { afterEach, beforeEach, describe, expect, it, type TestContext } from 'vitest'
import { appendTests } from './conformance/appends.js'
import { partTests } from './conformance/parts.js'
import { readTests } from './conformance/reads.js'
import type { Suite } from './conformance/support.js'
import { uploadTests } from './conformance/uploads.js'
import type { Store } from './store.js'

/** What `runStoreSuite` needs: a fresh, empty store per test, and a way to remove what it left. */
export interface StoreSuiteOptions {
  make(): Promise<{ store: Store; cleanup(): Promise<void> }>
  /** Titles of tests this store does not pass yet; each must name a test of the suite. */
  readonly skip?: readonly string[]
  /**
   * The part size N the `[parts]` tests append around (2.5 N, then 1.7 N, tails below N, ...). Defaults to
   * the store's `capabilities.minPartSize`, else 64 KiB; it must not be below the store's.
   */
  readonly minPartSize?: number
}

// Large enough for appends to span several chunks of a request body, small enough to keep the tests quick.
const DEFAULT_PART_SIZE = 64 * 1024

/**
 * Registers the vitest tests every `Store` must pass, under `describe(\`store: ${name}\`)`. Import it from
 * `resumable-gateway/testing` (vitest is an optional peer dependency of the package, needed only here).
 *
 * The suite uses a store as the service does: every call through a handle, a signal on every call,
 * `finish` before `read`, the id the store gave (`state.id`) rather than the one it asked for. Tests of an
 * optional capability are skipped when the store's capabilities leave it out.
 */
export function runStoreSuite(name: string, options: StoreSuiteOptions): void {
  const skip = new Set(options.skip ?? [])
  const titles = new Set<string>()
  let current: Store | undefined
  let cleanup: (() => Promise<void>) | undefined

  const suite: Suite = {
    // Every test is declared through this, so `skip` can be checked against the real titles.
    test(title: string, body: (context: TestContext) => Promise<void>): void {
      if (titles.has(title)) throw new Error(`two store suite tests are titled ${JSON.stringify(title)}`)
      titles.add(title)
      it.skipIf(skip.has(title))(title, body)
    },
    store(): Store {
      if (current === undefined) throw new Error('the store suite has no store outside a test')
      return current
    },
    partSize(): number {
      return options.minPartSize ?? suite.store().capabilities.minPartSize ?? DEFAULT_PART_SIZE
    },
  }

  describe(`store: ${name}`, () => {
    beforeEach(async () => {
      const made = await options.make()
      current = made.store
      cleanup = made.cleanup
    })
    afterEach(async () => {
      await cleanup?.()
      cleanup = undefined
      current = undefined
    })

    uploadTests(suite)
    appendTests(suite)
    readTests(suite)
    partTests(suite)

    suite.test('lists only existing tests in skip', async () => {
      expect([...skip].filter((title) => !titles.has(title))).toEqual([])
    })
  })
}
