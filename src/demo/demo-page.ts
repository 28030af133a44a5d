import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import type { Exchange } from '../transport/exchange.js'

/** The page's own files, beside this module (copied next to the built one by `npm run build`). */
const OWN_FILES: Record<string, string> = {
  '': 'index.html',
  'index.html': 'index.html',
  'demo.js': 'demo.js',
  'demo.css': 'demo.css',
}

/**
 * The browser builds the page loads, from the installed packages: `npm run build` copies them to
 * `dist/demo/vendor/` (so an installed gateway needs neither package); from the sources they are read
 * where npm put them.
 */
const VENDOR_FILES: Record<string, string> = {
  'uppy.min.mjs': 'uppy/dist/uppy.min.mjs',
  'uppy.min.css': 'uppy/dist/uppy.min.css',
  'tus.min.js': 'tus-js-client/dist/tus.min.js',
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}

const require = createRequire(import.meta.url)

/** What the demo page did with a request, for the request log. */
export interface DemoOutcome {
  readonly status: number
  readonly error?: string
}

/**
 * The demo page (`--demo`): pick files and upload them with Uppy (tus) or tus-js-client in draft mode, pause
 * and resume, watch progress bars, download the results. Static files only, served with `GET` and `HEAD`; the
 * page talks to the upload collection (`basePath`) like any client.
 */
export class DemoPage {
  readonly #path: string
  readonly #basePath: string
  readonly #logger: Logger

  /** `path` and `basePath` start and end with `/`; they must differ. `logger` learns why a file could not be read. */
  constructor(path: string, basePath: string, logger: Logger) {
    if (path === basePath || path === '/') throw new RangeError(`the demo page needs a path of its own, not ${path}`)
    this.#path = path
    this.#basePath = basePath
    this.#logger = logger
  }

  /** True for the page's path (with or without its final `/`) and the files under it. */
  owns(path: string): boolean {
    return path.startsWith(this.#path) || `${path}/` === this.#path
  }

  /** Serves one of the page's files. Never throws. */
  async serve(exchange: Exchange): Promise<DemoOutcome> {
    if (`${exchange.path}/` === this.#path) {
      // Relative links in the page resolve against a path that ends with `/`.
      await exchange.respond(308, { location: this.#path, 'content-length': '0' })
      return { status: 308 }
    }
    if (exchange.method !== 'GET' && exchange.method !== 'HEAD') {
      await exchange.respond(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, 'the demo page is read with GET\n')
      return { status: 405, error: 'REJECTED' }
    }
    const name = exchange.path.slice(this.#path.length)
    const file = fileOf(name)
    if (file === undefined) return notFound(exchange, name)
    let body: Buffer | string
    try {
      body = await readFile(file)
    } catch (error) {
      // A build without the copied files (tsc alone), or one deleted since: the same answer as an unknown name.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return notFound(exchange, name)
      this.#logger.error({ err: error, path: exchange.path }, 'demo page file could not be read')
      await exchange.respond(500, { 'content-length': '0' })
      return { status: 500, error: 'INTERNAL' }
    }
    if (name === '' || name === 'index.html') body = body.toString('utf8').replaceAll('{{ENDPOINT}}', this.#basePath)
    const type = TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream'
    const headers = { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }
    if (exchange.method === 'HEAD') {
      await exchange.respond(200, { ...headers, 'content-length': String(Buffer.byteLength(body)) })
    } else {
      await exchange.respond(200, headers, body)
    }
    return { status: 200 }
  }
}

async function notFound(exchange: Exchange, name: string): Promise<DemoOutcome> {
  await exchange.respond(404, { 'content-type': 'text/plain; charset=utf-8' }, `no file ${name.slice(0, 100)} in the demo page\n`)
  return { status: 404, error: 'REJECTED' }
}

/** The file behind a name under the page's path, or undefined for any other name. */
function fileOf(name: string): string | undefined {
  const own = OWN_FILES[name]
  if (own !== undefined) return fileURLToPath(new URL(`./public/${own}`, import.meta.url))
  if (!name.startsWith('vendor/')) return undefined
  const vendor = name.slice('vendor/'.length)
  const installed = VENDOR_FILES[vendor]
  if (installed === undefined) return undefined
  const copied = fileURLToPath(new URL(`./vendor/${vendor}`, import.meta.url))
  return existsSync(copied) ? copied : require.resolve(installed)
}

/** The packaged browser files, for the build to copy: file name under `vendor/` -> module path. */
export const DEMO_VENDOR_FILES: Readonly<Record<string, string>> = VENDOR_FILES
