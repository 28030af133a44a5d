import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { HookFailed, HookRejected } from '../model/errors.js'
import type { RequestInfo } from '../model/request-info.js'
import type { Upload } from '../model/upload.js'
import type { HookBackend, HookCall } from './hook-backend.js'
import { EMPTY_HOOK_RESPONSE, type HookResponse } from './hook-response.js'
import type { HookType } from './hook-types.js'
import { TusdHooks, type TusdHooksOptions } from './tusd-hooks.js'

const request: RequestInfo = { protocol: 'tus-v1', method: 'POST', uri: '/files/', remoteAddress: '127.0.0.1:1', headers: { host: ['h'] } }
const signal = new AbortController().signal
const upload: Upload = { id: 'u1', offset: 0, length: 10, metadata: { filename: 'a' } }

/** An in-process backend answering each hook type as told, recording the calls. */
function backend(answers: Partial<Record<HookType, Partial<HookResponse> | Error>> = {}): HookBackend & { calls: HookCall[] } {
  const calls: HookCall[] = []
  return {
    description: 'test',
    calls,
    invoke: async (call) => {
      calls.push(call)
      const answer = answers[call.request.Type]
      if (answer instanceof Error) throw answer
      return { ...EMPTY_HOOK_RESPONSE, ...answer }
    },
  }
}

const hooksWith = (options: Partial<TusdHooksOptions> & Pick<TusdHooksOptions, 'backend'>): TusdHooks =>
  new TusdHooks({ logger: pino({ level: 'silent' }), enabled: ['pre-access', 'pre-create', 'pre-finish', 'pre-terminate', 'post-create', 'post-receive', 'post-finish', 'post-terminate'], ...options })

describe('TusdHooks, blocking hooks', () => {
  it('has only the hooks of the enabled events', () => {
    const hooks = new TusdHooks({ logger: pino({ level: 'silent' }), backend: backend() }).hooks
    expect(Object.keys(hooks)).toEqual(['preCreate'])
  })

  it("pre-create: RejectUpload refuses with the hook's answer", async () => {
    const hooks = hooksWith({ backend: backend({ 'pre-create': { RejectUpload: true, HTTPResponse: { StatusCode: 401, Body: 'who?', Header: { 'WWW-Authenticate': 'Bearer' } } } }) }).hooks
    const refusal = await hooks.preCreate?.({ upload, request, signal }).catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(HookRejected)
    expect(refusal).toMatchObject({ hook: 'pre-create', answer: { status: 401, body: 'who?', headers: { 'WWW-Authenticate': 'Bearer' } } })
  })

  it('pre-create: ChangeFileInfo gives the id and replaces the metadata; Storage is not taken; HTTPResponse shapes the 201', async () => {
    const hooks = hooksWith({
      backend: backend({ 'pre-create': { ChangeFileInfo: { ID: 'user-7/abc', MetaData: { only: 'this' }, Storage: { Path: '/etc/passwd' } }, HTTPResponse: { StatusCode: 0, Body: '', Header: { 'X-A': '1' } } } }),
    }).hooks
    expect(await hooks.preCreate?.({ upload, request, signal })).toEqual({ id: 'user-7/abc', metadata: { only: 'this' }, answer: { headers: { 'X-A': '1' } } })
  })

  it("pre-create: no changes leave the upload as it is; an id that is not URL-safe fails the hook (tusd's validateUploadId)", async () => {
    expect(await hooksWith({ backend: backend() }).hooks.preCreate?.({ upload, request, signal })).toEqual({})
    for (const id of ['a b', '/lead', 'trail/', 'ü']) {
      const hooks = hooksWith({ backend: backend({ 'pre-create': { ChangeFileInfo: { ID: id, MetaData: null, Storage: null } } }) }).hooks
      await expect(hooks.preCreate?.({ upload, request, signal }), id).rejects.toBeInstanceOf(HookFailed)
    }
  })

  it('pre-create: an id the store cannot take fails the hook (logged, counted as a failed call), before the store is asked', async () => {
    const calls: { type: string; failed: boolean }[] = []
    const observer = { invoked: (type: string, _ms: number, failed: boolean) => void calls.push({ type, failed }), dropped: () => {}, queued: () => {} }
    const hooks = hooksWith({ backend: backend({ 'pre-create': { ChangeFileInfo: { ID: 'a.b', MetaData: null, Storage: null } } }), isValidId: (id) => !id.includes('.'), observer }).hooks
    await expect(hooks.preCreate?.({ upload, request, signal })).rejects.toBeInstanceOf(HookFailed)
    // As tusd_hook_errors_total counts it: the request fails closed on what the hook answered.
    expect(calls).toEqual([{ type: 'pre-create', failed: true }])
  })

  it('pre-create: RejectUpload refuses even with an id that could not be taken', async () => {
    const hooks = hooksWith({ backend: backend({ 'pre-create': { RejectUpload: true, ChangeFileInfo: { ID: 'a b', MetaData: null, Storage: null } } }) }).hooks
    await expect(hooks.preCreate?.({ upload, request, signal })).rejects.toBeInstanceOf(HookRejected)
  })

  it('pre-terminate: RejectTermination refuses; otherwise the answer shapes the 204', async () => {
    const refusing = hooksWith({ backend: backend({ 'pre-terminate': { RejectTermination: true } }) }).hooks
    await expect(refusing.preTerminate?.({ upload, request, signal })).rejects.toMatchObject({ hook: 'pre-terminate', answer: {} })
    const shaping = hooksWith({ backend: backend({ 'pre-terminate': { RejectUpload: true, HTTPResponse: { StatusCode: 200, Body: 'bye', Header: null } } }) }).hooks
    expect(await shaping.preTerminate?.({ upload, request, signal })).toEqual({ status: 200, body: 'bye' })
  })

  it('pre-finish: the answer shapes the completing response; RejectUpload means nothing there', async () => {
    const hooks = hooksWith({ backend: backend({ 'pre-finish': { RejectUpload: true, HTTPResponse: { StatusCode: 0, Body: '{"ok":true}', Header: null } } }) }).hooks
    expect(await hooks.preFinish?.({ upload, request, signal })).toEqual({ body: '{"ok":true}' })
  })

  it('pre-access: RejectUpload refuses (403 unless the hook says otherwise); it is told the action', async () => {
    const made = backend({ 'pre-access': { RejectUpload: true } })
    await expect(hooksWith({ backend: made }).hooks.preAccess?.({ action: 'terminate', upload, request, signal })).rejects.toMatchObject({ hook: 'pre-access' })
    expect(made.calls[0]?.request.Event.Action).toBe('terminate')
    expect(made.calls[0]?.body).toContain('"Action":"terminate"')
  })

  it('a hook that fails, or answers a status that cannot be sent, fails the request closed', async () => {
    for (const answer of [new Error('down'), { HTTPResponse: { StatusCode: 1000, Body: '', Header: null } }, { HTTPResponse: { StatusCode: 0, Body: '', Header: { 'Bad Name': 'x' } } }]) {
      const hooks = hooksWith({ backend: backend({ 'pre-create': answer }) }).hooks
      const failure = await hooks.preCreate?.({ upload, request, signal }).catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(HookFailed)
      expect((failure as HookFailed).cause).toBeInstanceOf(Error)
    }
  })

  it('a request whose client went away ends with its own reason, not as a hook failure', async () => {
    const gone = new AbortController()
    gone.abort(new Error('client gone'))
    const hooks = hooksWith({ backend: backend({ 'pre-create': new Error('aborted') }) }).hooks
    await expect(hooks.preCreate?.({ upload, request, signal: gone.signal })).rejects.toThrow('client gone')
  })
})

describe('TusdHooks, post-hooks', () => {
  const settle = (hooks: TusdHooks): Promise<void> => hooks.close(performance.now() + 5000)

  it('turns lifecycle events into post-hooks, in order; expiry into none', async () => {
    const made = backend()
    const hooks = hooksWith({ backend: made })
    hooks.listener({ type: 'created', upload, request })
    hooks.listener({ type: 'received', upload: { ...upload, offset: 10 }, bytes: 10, request })
    hooks.listener({ type: 'finished', upload: { ...upload, offset: 10 }, request })
    hooks.listener({ type: 'terminated', upload: { ...upload, offset: 10 }, request })
    hooks.listener({ type: 'expired', upload })
    await settle(hooks)
    expect(made.calls.map((call) => call.request.Type)).toEqual(['post-create', 'post-receive', 'post-finish', 'post-terminate'])
  })

  it('sends a post-receive per progress interval and one for the end of a request, never for an offset told already', async () => {
    const made = backend()
    const hooks = hooksWith({ backend: made, progressIntervalMs: 60_000 })
    hooks.listener({ type: 'progress', upload: { ...upload, offset: 3 }, request })
    hooks.listener({ type: 'progress', upload: { ...upload, offset: 5 }, request })
    hooks.listener({ type: 'received', upload: { ...upload, offset: 7 }, bytes: 7, request })
    hooks.listener({ type: 'interrupted', upload: { ...upload, offset: 7 }, bytes: 0, reason: 'UPLOAD_INTERRUPTED', request })
    await settle(hooks)
    expect(made.calls.map((call) => call.request.Event.Upload.Offset)).toEqual([3, 7])
  })

  it("honours post-receive's StopUpload with its answer; ignores the other post-hooks' answers", async () => {
    const stops: unknown[] = []
    const answer = { StopUpload: true, RejectUpload: true, HTTPResponse: { StatusCode: 0, Body: 'enough', Header: { 'X-Why': 'quota' } } }
    const hooks = hooksWith({
      backend: backend({ 'post-receive': answer, 'post-create': answer }),
      stopUpload: async (id, stopAnswer) => void stops.push([id, stopAnswer]),
    })
    hooks.listener({ type: 'created', upload, request })
    hooks.listener({ type: 'progress', upload: { ...upload, offset: 4 }, request })
    await settle(hooks)
    expect(stops).toEqual([['u1', { body: 'enough', headers: { 'X-Why': 'quota' } }]])
  })

  it('sends post-hooks of disabled events nowhere', async () => {
    const made = backend()
    const hooks = new TusdHooks({ logger: pino({ level: 'silent' }), backend: made, enabled: ['post-finish'] })
    hooks.listener({ type: 'created', upload, request })
    hooks.listener({ type: 'finished', upload, request })
    await settle(hooks)
    expect(made.calls.map((call) => call.request.Type)).toEqual(['post-finish'])
  })
})
