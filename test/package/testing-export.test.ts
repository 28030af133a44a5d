import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
// As a store package outside this repository imports it: through the package's `exports`, from the build
// (a package may import itself by name). Needs `npm run build` first, as `npm test` does (pretest).
import { MemoryStore, runStoreSuite } from 'resumable-gateway/testing'
import * as source from '../../src/testing.js'

const BUILT = fileURLToPath(new URL('../../dist/testing.js', import.meta.url))

describe('resumable-gateway/testing', () => {
  it('is the build in dist/, not the sources', () => {
    expect(existsSync(BUILT), `${BUILT} is missing: run \`npm run build\` first`).toBe(true)
    // Two copies of the module: the built class is not the one vitest compiled from src/.
    expect(MemoryStore).not.toBe(source.MemoryStore)
  })

  it('exports the store and locker suites and the reference store, and nothing else', async () => {
    expect(Object.keys(await import('resumable-gateway/testing')).sort()).toEqual(['MemoryStore', 'runLockerSuite', 'runStoreSuite'])
  })
})

runStoreSuite('MemoryStore from resumable-gateway/testing', {
  async make() {
    return { store: new MemoryStore({ minPartSize: 4096 }), cleanup: async () => undefined }
  },
})
