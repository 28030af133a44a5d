/**
 * `resumable-gateway/testing`: what a store (or locker) written outside this package needs to prove it
 * keeps the port's contracts, and the in-memory reference store for tests of code that uses a store.
 * Importing the suites needs vitest (an optional peer dependency of the package).
 */
export { runStoreSuite, type StoreSuiteOptions } from './store/conformance.suite.js'
export { MemoryStore, type MemoryStoreOptions } from './store/memory/memory-store.js'
export type { MemoryUpload } from './store/memory/memory-upload.js'
export { runLockerSuite, type LockerSuiteOptions } from './lock/conformance.suite.js'
