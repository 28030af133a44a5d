import type { IncomingMessage } from 'node:http'
import type { ByteRange } from '../../model/upload.js'
import { GcsRequestFailed, GcsTimeout } from './gcs-errors.js'
import { objectUrl, openRequest, whileUnavailable, type JsonApi } from './json-api.js'

/**
 * Streams object `name`, or `range` of it (non-empty), with the JSON API's `alt=media` GET, once GCS has
 * answered: a failure before the first byte rejects (tried again as the policy allows while GCS is
 * unavailable; 404 is `GcsRequestFailed` with that status), one after it errors the stream, and so does
 * a stall of the request timeout. The bytes come as stored (`Accept-Encoding: gzip`: never decompressed
 * on the way) and unchecked: a CRC32C in JavaScript (the SDK's runs at ~50 MiB/s) would bound every
 * download; TLS guards the transfer.
 */
export function readObject(target: JsonApi, name: string, range: ByteRange | undefined, signal: AbortSignal): Promise<IncomingMessage> {
  return whileUnavailable(target.retry, signal, () => readOnce(target, name, range, signal))
}

async function readOnce(target: JsonApi, name: string, range: ByteRange | undefined, signal: AbortSignal): Promise<IncomingMessage> {
  const url = objectUrl(target, name, '?alt=media')
  const headers = {
    ...(await target.headers()),
    'accept-encoding': 'gzip',
    ...(range === undefined ? {} : { range: `bytes=${range.start}-${range.end - 1}` }),
  }
  return new Promise<IncomingMessage>((resolve, reject) => {
    const request = openRequest(target, 'GET', url, headers, signal)
    request.setTimeout(target.timeoutMs, () => request.destroy(new GcsTimeout(target.timeoutMs)))
    request.on('error', reject)
    request.once('response', (response) => {
      const status = response.statusCode ?? 0
      const expected = range === undefined ? 200 : 206
      if (status === expected) return resolve(response)
      // Another success would be bytes other than those asked for; an error's explanation is read up to 4 KiB.
      let explanation = status < 300 ? `not the ${expected} asked for` : ''
      const explained = (): void => {
        response.destroy()
        reject(new GcsRequestFailed(status, explanation))
      }
      if (status < 300) return explained()
      response.setEncoding('utf8')
      response.on('data', (text: string) => {
        explanation += text
        if (explanation.length >= 4096) explained()
      })
      response.on('error', reject)
      response.once('end', explained)
    })
    request.end()
  })
}
