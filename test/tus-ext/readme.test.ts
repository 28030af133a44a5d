import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'

const run = promisify(execFile)
const README = new URL('../../README.md', import.meta.url)
const DEFAULT_URL = 'URL=http://localhost:1080/files/'

/** The sh code blocks of the README section `tus-extensions`, in order: claims a real client must confirm. */
function shellBlocks(): string[] {
  const text = readFileSync(README, 'utf8')
  const section = /<!-- section: tus-extensions -->([\s\S]*?)<!-- \/section: tus-extensions -->/.exec(text)?.[1] ?? ''
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '')
}

// The curl sessions of the README, run as written against a gateway (only the URL differs).
describe('README: tus extensions with curl', () => {
  let gateway: TestGateway
  const blocks = shellBlocks()

  beforeAll(async () => {
    gateway = await startGateway()
  })
  afterAll(async () => {
    await gateway?.close()
  })

  async function runBlock(block: string): Promise<string> {
    expect(block.startsWith(DEFAULT_URL)).toBe(true)
    const script = block.replace(DEFAULT_URL, `URL=http://127.0.0.1:${gateway.port}${gateway.basePath}`)
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { timeout: 20_000 })
    return stdout
  }

  it('has the two sessions', () => {
    expect(blocks).toHaveLength(2)
  })

  it('[T-43] [T-46] sends a chunk with its SHA-1 computed by openssl, and gets 204', async () => {
    expect(await runBlock(blocks[0] ?? '')).toBe('204\n')
  })

  it('[T-51] [T-53] uploads two partial uploads side by side and downloads the final upload', async () => {
    expect(await runBlock(blocks[1] ?? '')).toBe('hello world')
  })
})
