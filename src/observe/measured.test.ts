import { describe, expect, it } from 'vitest'
import { runLockerSuite } from '../lock/conformance.suite.js'
import { MemoryLocker } from '../lock/memory-locker.js'
import { coreErrorCodes } from '../model/errors.js'
import { ReleaseRequested } from '../model/stop-reasons.js'
import { runStoreSuite } from '../store/conformance.suite.js'
import { MemoryStore } from '../store/memory/memory-store.js'
import { measuredLocker } from './measured-locker.js'
import { measuredStore } from './measured-store.js'
import { tusdErrorCode } from './tusd-error-codes.js'

const quiet = { operation: () => {}, appending: () => {} }

// The wrappers metrics put around the store and the locker keep every contract of the ports.
runStoreSuite('memory, measured', { make: async () => ({ store: measuredStore(new MemoryStore({ minPartSize: 1000 }), quiet), cleanup: async () => {} }) })
runLockerSuite('memory, measured', {
  make: async () => {
    const locker = measuredLocker(new MemoryLocker(), { waited: () => {}, asked: () => {} })
    return { locker, cleanup: () => locker.close() }
  },
  maxWaiters: 64,
  settleMs: 10,
})

const NEVER = new AbortController().signal

describe('measured store and locker', () => {
  it('report each operation with its outcome, and appends while they run', async () => {
    const seen: string[] = []
    const store = measuredStore(new MemoryStore(), { operation: (name, _seconds, ok) => seen.push(`${name}:${ok ? 'ok' : 'failed'}`), appending: (delta) => seen.push(`appending ${delta}`) })
    const upload = await store.create({ id: 'a', length: 3, metadata: {} }, NEVER)
    await upload.append((async function* () { yield Buffer.from('abc') })(), NEVER)
    await store.open('missing', NEVER).catch(() => undefined)
    expect(seen).toEqual(['create:ok', 'appending 1', 'append:ok', 'appending -1', 'open:failed'])
  })

  it('report waits and the release requests their holders get', async () => {
    const seen: string[] = []
    const locker = measuredLocker(new MemoryLocker(), { waited: (_seconds, outcome) => seen.push(outcome), asked: (reason) => seen.push(`asked: ${reason}`) })
    const first = await locker.acquire('a', { signal: NEVER })
    const second = locker.acquire('a', { signal: NEVER })
    if (!first.signal.aborted) await new Promise((resolve) => first.signal.addEventListener('abort', resolve))
    expect(first.signal.reason).toBeInstanceOf(ReleaseRequested)
    await first.release()
    await (await second).release()
    expect(seen).toEqual(['acquired', 'asked: release', 'acquired'])
    await locker.close()
  })
})

describe("tusd's error codes", () => {
  it('names every core fact, with tusd code where tusd has one', () => {
    for (const code of coreErrorCodes) expect(tusdErrorCode(code, 400, 'PATCH'), code).toMatch(/^ERR_[A-Z_]+$/)
    expect(tusdErrorCode('OFFSET_MISMATCH', 409, 'PATCH')).toBe('ERR_MISMATCHED_OFFSET')
    expect(tusdErrorCode('UPLOAD_NOT_FOUND', 404, 'HEAD')).toBe('ERR_UPLOAD_NOT_FOUND')
    expect(tusdErrorCode('UPLOAD_STOPPED', 400, 'PATCH')).toBe('ERR_UPLOAD_STOPPED')
  })

  it("tells hook refusals apart as tusd's codes do", () => {
    expect(tusdErrorCode('HOOK_REJECTED', 400, 'POST')).toBe('ERR_UPLOAD_REJECTED')
    expect(tusdErrorCode('HOOK_REJECTED', 400, 'DELETE')).toBe('ERR_UPLOAD_TERMINATION_REJECTED')
    expect(tusdErrorCode('HOOK_REJECTED', 403, 'HEAD')).toBe('ERR_ACCESS_DENIED')
  })

  it('names answers without a core fact by their status', () => {
    expect(tusdErrorCode(undefined, 412, 'POST')).toBe('ERR_UNSUPPORTED_VERSION')
    expect(tusdErrorCode('HEADER', 400, 'PATCH')).toBe('ERR_INVALID_HEADER')
    expect(tusdErrorCode('INTERNAL', 500, 'PATCH')).toBe('ERR_INTERNAL_SERVER_ERROR')
    expect(tusdErrorCode(undefined, 418, 'GET')).toBe('ERR_HTTP_418')
  })
})
