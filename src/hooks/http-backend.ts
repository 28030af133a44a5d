import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici'
import { eitherSignal } from '../model/either-signal.js'
import { delay, HookCallFailed, type HookBackend, type HookCall } from './hook-backend.js'
import { parseHookResponse, type HookResponse } from './hook-response.js'

/** tusd's `-hooks-http-*` options; durations in milliseconds. */
export interface HttpHookOptions {
  /** Where each hook is POSTed (`--hooks-http`). */
  readonly url: string
  /** Attempts per hook, the first included (`--hooks-http-retry`, default 3, as tusd's pester counts them). */
  readonly attempts?: number
  /** Pause between two attempts (`--hooks-http-backoff`, default 1 s). */
  readonly backoffMs?: number
  /** One deadline for all the attempts of a hook (`--hooks-http-timeout`, default 15 s). */
  readonly timeoutMs?: number
  /** Largest answer body read, in bytes; a larger one fails the hook (`--hooks-http-size-limit`, default 5120). */
  readonly sizeLimit?: number
  /** Client request headers copied onto each hook request, under the names as given (`--hooks-http-forward-headers`). */
  readonly forwardHeaders?: readonly string[]
  /** Accept any TLS certificate from the hook server (`--hooks-http-skip-verify`). */
  readonly skipVerify?: boolean
}

const DEFAULTS = { attempts: 3, backoffMs: 1000, timeoutMs: 15_000, sizeLimit: 5120 }

/**
 * tusd's HTTP hooks: one `POST` of the JSON per hook (`Content-Type: application/json`, no `Hook-Name`:
 * tusd v2 sends none). Network errors and answers of 500 or more are tried again after the backoff, up to
 * `attempts` in all (429 is not retried, as with tusd's pester), all within `timeoutMs`. The answer must be
 * a 2xx, at most `sizeLimit` bytes, of media type `application/json` (checked in that order, as tusd does),
 * and tusd's JSON. Proxies come from `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY`, as Go's do.
 */
export class HttpHookBackend implements HookBackend {
  readonly description: string
  readonly #options: Required<HttpHookOptions>
  readonly #dispatcher: Dispatcher

  /** Throws TypeError for a URL that is not http(s). */
  constructor(options: HttpHookOptions) {
    const url = new URL(options.url)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`a hook URL is http or https, not ${url.protocol}`)
    this.#options = { ...DEFAULTS, forwardHeaders: [], skipVerify: false, ...withoutUndefined(options), url: options.url }
    this.description = `HTTP hooks at ${url.origin}${url.pathname}`
    const tls = { rejectUnauthorized: !this.#options.skipVerify }
    this.#dispatcher = new EnvHttpProxyAgent({ connect: tls, requestTls: tls })
  }

  async invoke(call: HookCall): Promise<HookResponse> {
    const { attempts, backoffMs, timeoutMs } = this.#options
    const timeout = AbortSignal.timeout(timeoutMs)
    const linked = eitherSignal(call.signal, timeout)
    const { signal } = linked
    const headers = this.#headers(call)
    try {
      let failure: unknown
      for (let attempt = 1; attempt <= Math.max(1, attempts); attempt += 1) {
        let answer: Answer
        try {
          if (attempt > 1) await delay(backoffMs, signal)
          answer = await this.#post(call.body, headers, signal)
        } catch (error) {
          if (timeout.aborted) throw new HookCallFailed(`the hook did not answer within ${timeoutMs} ms`, { cause: failure ?? error })
          if (signal.aborted) throw error
          failure = error
          continue
        }
        // pester tries again on a 5xx; the last one is the answer.
        if (answer.status >= 500 && attempt < attempts) {
          failure = unexpectedStatus(answer.status, answer.body)
          continue
        }
        return check(answer, this.#options.sizeLimit)
      }
      throw new HookCallFailed(`the hook endpoint could not be reached: ${describe(failure)}`, { cause: failure })
    } finally {
      linked.unlink()
    }
  }

  async close(): Promise<void> {
    await this.#dispatcher.close()
  }

  #headers(call: HookCall): Record<string, string | string[]> {
    const headers: Record<string, string | string[]> = {}
    const sent = call.request.Event.HTTPRequest.Header
    for (const name of this.#options.forwardHeaders) {
      // Looked up by the canonical name, sent under the name as given (tusd).
      const values = Object.entries(sent).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1]
      if (name !== '' && values !== undefined) headers[name] = [...values]
    }
    headers['content-type'] = 'application/json'
    return headers
  }

  async #post(body: string, headers: Record<string, string | string[]>, signal: AbortSignal): Promise<Answer> {
    const response = await request(this.#options.url, { method: 'POST', headers, body, signal, dispatcher: this.#dispatcher })
    const limit = this.#options.sizeLimit + 1
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk)
      size += chunk.byteLength
      if (size >= limit) break
    }
    // Whatever is left of a too large answer is not wanted; breaking out of the loop ends the body.
    const contentType = response.headers['content-type']
    return { status: response.statusCode, body: Buffer.concat(chunks).subarray(0, limit), contentType: Array.isArray(contentType) ? contentType[0] : contentType }
  }
}

interface Answer {
  readonly status: number
  readonly body: Buffer
  readonly contentType: string | undefined
}

/** tusd's checks of a hook's answer, in its order: a 2xx, the size limit, `application/json`, then the JSON. */
function check(answer: Answer, sizeLimit: number): HookResponse {
  if (answer.status < 200 || answer.status >= 300) throw unexpectedStatus(answer.status, answer.body)
  if (answer.body.byteLength > sizeLimit) throw new HookCallFailed(`hook response exceeded maximum size of ${sizeLimit} bytes`)
  if (answer.contentType === undefined || answer.contentType === '') {
    throw new HookCallFailed("hook response does not contain the 'Content-Type: application/json' header")
  }
  const type = mediaTypeOf(answer.contentType)
  if (type === undefined) throw new HookCallFailed(`failed to parse Content-Type header: ${JSON.stringify(answer.contentType.slice(0, 100))}`)
  if (type !== 'application/json') throw new HookCallFailed(`expected hook response Content-Type to be application/json, but got '${answer.contentType.slice(0, 100)}'`)
  return parseHookResponse(answer.body.toString('utf8'))
}

function unexpectedStatus(status: number, body: Buffer): HookCallFailed {
  return new HookCallFailed(`unexpected response code from hook endpoint (${status}): ${body.toString('utf8').slice(0, 500)}`)
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const PARAMETER = new RegExp(`^\\s*${TOKEN}\\s*=\\s*(?:${TOKEN}|"(?:[^"\\\\]|\\\\.)*")\\s*$`)
const TYPE = new RegExp(`^\\s*(${TOKEN}/${TOKEN})\\s*$`)

/** The media type of a Content-Type value in lower case, or undefined when it does not parse (Go's `mime.ParseMediaType` fails). */
function mediaTypeOf(value: string): string | undefined {
  const [type, ...parameters] = value.split(';')
  const match = TYPE.exec(type ?? '')
  if (match === null) return undefined
  // A trailing `;` is allowed; a parameter that is not name=value is not.
  if (parameters.some((parameter, index) => !PARAMETER.test(parameter) && !(index === parameters.length - 1 && parameter.trim() === ''))) return undefined
  return (match[1] as string).toLowerCase()
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === undefined ? error.message : `${error.message} (${code})`
  }
  return String(error)
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>
}
