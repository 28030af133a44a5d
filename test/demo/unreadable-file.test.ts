import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { answer, connect } from '../transport/h2.js'

// A build whose demo files are not all there (tsc without `npm run build`'s copy step, a file deleted since) or
// cannot be read: every request for one still gets an answer, over HTTP/1.1 and HTTP/2.

const root = new URL('../../', import.meta.url).pathname

describe('the demo page with files that cannot be read', () => {
  let build: string
  let gateway: GatewayProcess

  beforeAll(async () => {
    build = await mkdtemp(join(tmpdir(), 'rg-demo-build-'))
    await cp(join(root, 'dist'), join(build, 'dist'), { recursive: true })
    await cp(join(root, 'package.json'), join(build, 'package.json'))
    await symlink(join(root, 'node_modules'), join(build, 'node_modules'))
    await rm(join(build, 'dist/demo/public/demo.css'))
    // A directory where a file should be: reading it fails with EISDIR, not ENOENT.
    await rm(join(build, 'dist/demo/public/demo.js'))
    await mkdir(join(build, 'dist/demo/public/demo.js'))
    gateway = await spawnGateway(['--demo', '--upload-dir', join(build, 'uploads')], { cli: join(build, 'dist/cli/main.js') })
  }, 30_000)
  afterAll(async () => {
    await gateway?.stop()
    await rm(build, { recursive: true, force: true })
  })

  const fetchH2 = async (path: string): Promise<number> => {
    const session = connect(gateway.port)
    try {
      const reply = await answer(session.request({ ':path': path }).end())
      return reply.status
    } finally {
      session.close()
    }
  }

  it('answers 404 for a file that is not there, over HTTP/1.1 and HTTP/2', async () => {
    const response = await fetch(`${gateway.origin}/demo/demo.css`, { signal: AbortSignal.timeout(5_000) })
    expect(response.status).toBe(404)
    expect(await response.text()).toContain('demo.css')
    expect(await fetchH2('/demo/demo.css')).toBe(404)
  })

  it('answers a bare 500 for a file that cannot be read, and logs why', async () => {
    const response = await fetch(`${gateway.origin}/demo/demo.js`, { signal: AbortSignal.timeout(5_000) })
    expect(response.status).toBe(500)
    expect(await response.text()).toBe('')
    expect(await fetchH2('/demo/demo.js')).toBe(500)
    expect(await gateway.waitForStderr(/EISDIR/)).toContain('demo.js')
  })

  it('still serves the files that are there', async () => {
    const response = await fetch(`${gateway.origin}/demo/`, { signal: AbortSignal.timeout(5_000) })
    expect(response.status).toBe(200)
  })
})
