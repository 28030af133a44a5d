import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileHookBackend } from './file-backend.js'
import { encodeHookRequest, fileInfoOf, httpRequestOf, type HookRequest } from './hook-request.js'
import { EMPTY_HOOK_RESPONSE } from './hook-response.js'

let directory: string

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'file-hooks-'))
})

afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

async function script(name: string, body: string, mode = 0o755): Promise<void> {
  await writeFile(join(directory, name), `#!/bin/sh\n${body}\n`)
  await chmod(join(directory, name), mode)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const request: HookRequest = {
  Type: 'post-receive',
  Event: { Upload: fileInfoOf({ id: 'up-1', offset: 7, length: 42, metadata: {} }), HTTPRequest: httpRequestOf(undefined) },
}
const call = (type: HookRequest['Type'] = 'post-receive', signal = new AbortController().signal) => {
  const typed = { ...request, Type: type }
  return { request: typed, body: encodeHookRequest(typed), signal }
}

describe('FileHookBackend', () => {
  it('takes a missing hook file as no hook: an empty answer', async () => {
    expect(await new FileHookBackend({ directory }).invoke(call())).toEqual(EMPTY_HOOK_RESPONSE)
  })

  it('runs <dir>/<event> in the directory with the JSON on stdin and TUS_ID, TUS_SIZE, TUS_OFFSET; stdout is the answer', async () => {
    // The answer's body carries what the script saw: its stdin, the variables, its working directory.
    await script(
      'post-receive',
      `input=$(cat)
printf '{"HTTPResponse":{"Body":"%s|%s|%s|%s|%s"},"StopUpload":true}' "$TUS_ID" "$TUS_SIZE" "$TUS_OFFSET" "$(pwd)" "$(printf '%s' "$input" | wc -c)"`,
    )
    const response = await new FileHookBackend({ directory }).invoke(call())
    expect(response.StopUpload).toBe(true)
    expect(response.HTTPResponse.Body).toBe(`up-1|42|7|${directory}|${Buffer.byteLength(encodeHookRequest(request))}`)
  })

  it('takes no output (or white space only) as an empty answer', async () => {
    await script('post-create', 'cat > /dev/null')
    await script('post-finish', 'echo')
    const backend = new FileHookBackend({ directory })
    expect(await backend.invoke(call('post-create'))).toEqual(EMPTY_HOOK_RESPONSE)
    expect(await backend.invoke(call('post-finish'))).toEqual(EMPTY_HOOK_RESPONSE)
  })

  it('fails on a non-zero exit, naming the code and the output, as tusd', async () => {
    await script('pre-create', 'echo "no way"; exit 3')
    await expect(new FileHookBackend({ directory }).invoke(call('pre-create'))).rejects.toThrow('unexpected return code 3 from hook endpoint: no way')
  })

  it("fails on output that is not tusd's JSON", async () => {
    await script('pre-create', 'echo "ok!"')
    await expect(new FileHookBackend({ directory }).invoke(call('pre-create'))).rejects.toThrow(/failed to parse hook response.*response was: ok!/)
  })

  it('kills a hook that runs past the timeout, and what it started, and fails', async () => {
    await script('pre-create', `sleep 30 &\necho $! > ${join(directory, 'child.pid')}\nwait`)
    await expect(new FileHookBackend({ directory, timeoutMs: 300 }).invoke(call('pre-create'))).rejects.toThrow('did not finish within 300 ms')
    const child = Number((await readFile(join(directory, 'child.pid'), 'utf8')).trim())
    await expect.poll(() => isAlive(child), { timeout: 2000 }).toBe(false)
  })

  it('stops the hook when the caller gives up', async () => {
    await script('pre-create', 'sleep 30')
    const controller = new AbortController()
    const invoked = new FileHookBackend({ directory }).invoke(call('pre-create', controller.signal))
    setTimeout(() => controller.abort(new Error('client gone')), 50)
    await expect(invoked).rejects.toThrow('client gone')
  })

  it('fails for a hook file that cannot be run', async () => {
    await script('pre-create', 'exit 0', 0o644)
    await expect(new FileHookBackend({ directory }).invoke(call('pre-create'))).rejects.toThrow(/could not be run.*EACCES/)
  })

  it('does not mind a hook that never reads its stdin', async () => {
    await script('pre-create', 'echo "{}"')
    const big = { ...call('pre-create'), body: `${encodeHookRequest(request)}${' '.repeat(1024 * 1024)}` }
    expect(await new FileHookBackend({ directory }).invoke(big)).toEqual(EMPTY_HOOK_RESPONSE)
  })
})
