import { describe, expect, it } from 'vitest'
import type { UploadHooks } from '../core/hooks.js'
import { HookRejected } from '../model/errors.js'
import type { RequestInfo } from '../model/request-info.js'
import { composeHooks } from './compose-hooks.js'

const request: RequestInfo = { protocol: 'tus-v1', method: 'POST', uri: '/files/', headers: {} }
const signal = new AbortController().signal

describe('composeHooks', () => {
  it('is undefined without hooks, and the one set itself when there is one', () => {
    expect(composeHooks(undefined, {})).toBeUndefined()
    const only: UploadHooks = { preCreate: async () => undefined }
    expect(composeHooks(undefined, only)).toBe(only)
  })

  it('runs pre-create in order: the next sees the id and metadata chosen so far; later changes and answers win', async () => {
    const seen: unknown[] = []
    const hooks = composeHooks(
      { preCreate: async () => ({ id: 'first', metadata: { a: '1' }, answer: { status: 200, headers: { 'x-a': '1' } } }) },
      {
        preCreate: async (event) => {
          seen.push(event.upload)
          return { metadata: { ...event.upload.metadata, b: '2' }, answer: { headers: { 'x-b': '2' } } }
        },
      },
    )
    const changes = await hooks?.preCreate?.({ upload: { id: 'random', metadata: {} }, request, signal })
    expect(seen).toEqual([{ id: 'first', metadata: { a: '1' } }])
    expect(changes).toEqual({ id: 'first', metadata: { a: '1', b: '2' }, answer: { status: 200, headers: { 'x-a': '1', 'x-b': '2' } } })
  })

  it('stops at the first refusal', async () => {
    let reached = false
    const hooks = composeHooks(
      {
        preAccess: async () => {
          throw new HookRejected('pre-access')
        },
      },
      { preAccess: async () => void (reached = true) },
    )
    await expect(hooks?.preAccess?.({ action: 'status', upload: undefined, request, signal })).rejects.toBeInstanceOf(HookRejected)
    expect(reached).toBe(false)
  })

  it('merges the answers of pre-finish and pre-terminate', async () => {
    const upload = { id: 'u', offset: 1, length: 1, metadata: {} }
    const hooks = composeHooks({ preFinish: async () => ({ body: 'one' }), preTerminate: async () => undefined }, { preFinish: async () => ({ status: 200 }), preTerminate: async () => ({ body: 'bye' }) })
    expect(await hooks?.preFinish?.({ upload, request, signal })).toEqual({ body: 'one', status: 200, headers: {} })
    expect(await hooks?.preTerminate?.({ upload, request, signal })).toEqual({ body: 'bye' })
  })
})
