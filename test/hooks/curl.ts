import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** What curl got: the final response's status, headers (lower-case names) and body. */
export interface CurlReply {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

/** Runs `curl -s <args> <url>` and reads the final response (after any 100 Continue). */
export async function curl(url: string, args: string[] = []): Promise<CurlReply> {
  const dir = await mkdtemp(join(tmpdir(), 'hooks-curl-'))
  try {
    const headerFile = join(dir, 'headers')
    const bodyFile = join(dir, 'body')
    const status = await new Promise<string>((resolve, reject) => {
      execFile('curl', ['-s', '-D', headerFile, '-o', bodyFile, '-w', '%{http_code}', ...args, url], { timeout: 60_000 }, (error, stdout, stderr) => {
        // curl exits 55/56 when the server answers and closes before the body was all sent: the answer is still there.
        if (error !== null && stdout === '') reject(new Error(`curl failed: ${error.message} ${stderr}`))
        else resolve(stdout)
      })
    })
    const blocks = (await readFile(headerFile, 'utf8').catch(() => '')).split(/\r?\n\r?\n/).filter((block) => block.trim() !== '')
    const last = blocks.at(-1) ?? ''
    const headers: Record<string, string> = {}
    for (const line of last.split(/\r?\n/).slice(1)) {
      const colon = line.indexOf(':')
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    return { status: Number(status), headers, body: await readFile(bodyFile, 'utf8').catch(() => '') }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** `Upload-Metadata` for tus: each key with its value in base64. */
export function tusMetadata(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',')
}

/** Decodes an `Upload-Metadata` value. */
export function decodeTusMetadata(value: string | undefined): Record<string, string> {
  const pairs: Record<string, string> = {}
  for (const item of (value ?? '').split(',')) {
    const [key, encoded] = item.trim().split(' ')
    if (key !== undefined && key !== '') pairs[key] = Buffer.from(encoded ?? '', 'base64').toString('utf8')
  }
  return pairs
}
