import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { FileUpload } from './file-upload.js'
import { FileStore } from './file-store.js'

// kill -9 in the middle of a concatenation: nothing in the dying process gets to remove its temporary file.
// The child runs this store's own code, compiled to JavaScript first (Node 20 does not run TypeScript).

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url))
const NEVER = new AbortController().signal
// Three partial uploads of this size: a concatenation of them takes long enough to be caught in the middle.
const PARTIAL_BYTES = 64 * 1024 * 1024
const GRACE_MS = 10 * 60 * 1000

const CHILD = `
import { FileStore } from './store/file/file-store.js'
const [directory, final, ...partials] = process.argv.slice(2)
const signal = new AbortController().signal
const store = await FileStore.open({ directory })
const handles = await Promise.all(partials.map((id) => store.open(id, signal)))
const state = await (await store.open(final, signal)).concatenate(handles, signal)
process.stdout.write('done ' + state.offset)
`

describe('leftovers of a concatenation killed with kill -9', () => {
  let compiled: string
  let directory: string
  let store: FileStore
  let children: ChildProcess[] = []

  beforeAll(async () => {
    compiled = await mkdtemp(join(tmpdir(), 'store-build-'))
    const tsc = join(REPOSITORY, 'node_modules', '.bin', 'tsc')
    const options = ['--outDir', compiled, '--rootDir', join(REPOSITORY, 'src'), '--module', 'nodenext', '--moduleResolution', 'nodenext']
    const more = ['--target', 'es2022', '--skipLibCheck', '--types', 'node', join(REPOSITORY, 'src/store/file/file-store.ts')]
    await promisify(execFile)(tsc, [...options, ...more], { cwd: REPOSITORY })
    await writeFile(join(compiled, 'package.json'), '{"type":"module"}')
    await writeFile(join(compiled, 'concatenate.js'), CHILD)
  }, 60_000)
  afterAll(async () => {
    await rm(compiled, { recursive: true, force: true })
  })
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'crash-leftovers-'))
    store = await FileStore.open({ directory, leftoverGraceMs: GRACE_MS })
  })
  afterEach(async () => {
    for (const child of children) child.kill('SIGKILL')
    children = []
    await rm(directory, { recursive: true, force: true })
  })

  /** Three finished partial uploads of distinct bytes and their final upload, and the sha-256 the final upload must get. */
  async function uploads(): Promise<{ final: FileUpload; partials: FileUpload[]; sha256: string }> {
    const partials: FileUpload[] = []
    const hash = createHash('sha256')
    for (let n = 0; n < 3; n++) {
      const upload = await store.create({ id: `partial${n}`, length: PARTIAL_BYTES, metadata: {}, concat: { kind: 'partial' } }, NEVER)
      const chunk = Buffer.alloc(1024 * 1024, n + 1)
      async function* bytes(): AsyncGenerator<Uint8Array> {
        for (let at = 0; at < PARTIAL_BYTES; at += chunk.length) yield chunk
      }
      await upload.append(bytes(), NEVER)
      for (let at = 0; at < PARTIAL_BYTES; at += chunk.length) hash.update(chunk)
      partials.push(upload)
    }
    const concat = { kind: 'final', partials: partials.map((partial) => partial.state.id) } as const
    const final = await store.create({ id: 'final', length: 3 * PARTIAL_BYTES, metadata: {}, concat }, NEVER)
    return { final, partials, sha256: hash.digest('hex') }
  }

  /** Starts a child concatenating the uploads, and stops it (SIGSTOP) once its temporary file holds some bytes. */
  async function stoppedMidway(): Promise<{ child: ChildProcess; temporary: string; output: Promise<string> }> {
    const child = spawn(process.execPath, [join(compiled, 'concatenate.js'), directory, 'final', 'partial0', 'partial1', 'partial2'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(child)
    let output = ''
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text))
    const exited = new Promise<string>((resolve) => child.once('exit', () => resolve(output)))
    for (;;) {
      const temporary = (await readdir(directory)).find((name) => /^final\.[0-9a-f]{16}\.tmp$/.test(name))
      if (temporary !== undefined && (await stat(join(directory, temporary)).catch(() => undefined))?.size) {
        child.kill('SIGSTOP')
        const size = (await stat(join(directory, temporary))).size
        // Caught in the middle: neither finished nor just begun.
        expect(size).toBeGreaterThan(0)
        expect(size).toBeLessThan(3 * PARTIAL_BYTES)
        return { child, temporary, output: exited }
      }
      if (child.exitCode !== null) throw new Error(`the child ended before it was caught in the middle: ${output}`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  }

  async function sha256Of(name: string): Promise<string> {
    const hash = createHash('sha256')
    for await (const chunk of createReadStream(join(directory, name))) hash.update(chunk as Buffer)
    return hash.digest('hex')
  }

  it('removes the temporary file once older than the grace period, and the concatenation succeeds when run again', async () => {
    const { final, partials, sha256 } = await uploads()
    const { child, temporary, output } = await stoppedMidway()
    child.kill('SIGKILL')
    await output
    const size = (await stat(join(directory, temporary))).size
    // A crash leaves the final upload as it was.
    expect((await store.open('final', NEVER)).state).toMatchObject({ offset: 0, length: 3 * PARTIAL_BYTES })
    // Young, it could be another process's live file: kept.
    expect(await store.sweepLeftovers(NEVER)).toBe(0)
    expect(await readdir(directory)).toContain(temporary)
    const aged = new Date(Date.now() - GRACE_MS - 1000)
    await utimes(join(directory, temporary), aged, aged)
    expect(await store.sweepLeftovers(NEVER)).toBe(size)
    expect(await readdir(directory)).not.toContain(temporary)
    for (const partial of partials) expect((await store.open(partial.state.id, NEVER)).state.offset).toBe(PARTIAL_BYTES)
    expect((await final.concatenate(partials, NEVER)).offset).toBe(3 * PARTIAL_BYTES)
    expect(await sha256Of('final')).toBe(sha256)
  })

  it('keeps the temporary file of a concatenation another process is running, which then completes', async () => {
    const { sha256 } = await uploads()
    const { child, temporary, output } = await stoppedMidway()
    expect(await store.sweepLeftovers(NEVER)).toBe(0)
    expect(await readdir(directory)).toContain(temporary)
    child.kill('SIGCONT')
    expect(await output).toBe(`done ${3 * PARTIAL_BYTES}`)
    expect(await sha256Of('final')).toBe(sha256)
    expect((await readdir(directory)).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })
})
