import http from 'node:http'
import https from 'node:https'
import { GcsRequestFailed, GcsTimeout } from './gcs-errors.js'
import { objectUrl, responseText, whileUnavailable } from './json-api.js'
import type { UploadTarget } from './object-upload.js'

/**
 * Deletes object `name` with the JSON API's DELETE, tried again as the policy allows while GCS is
 * unavailable; resolves false if there was none (also when an attempt whose answer was lost deleted it).
 * One plain request per attempt, aborted for real by `signal`: the SDK's delete builds a `File` and its
 * request objects per call, which 256 chunk deletes on finish turned into ~20 MiB more peak memory.
 * Throws `GcsRequestFailed`, `GcsTimeout`, a socket error, or `signal.reason`.
 */
export function deleteObject(target: UploadTarget, name: string, signal: AbortSignal): Promise<boolean> {
  return whileUnavailable(target.retry, signal, () => deleteOnce(target, name, signal))
}

async function deleteOnce(target: UploadTarget, name: string, signal: AbortSignal): Promise<boolean> {
  const url = objectUrl(target, name)
  const headers = await target.headers()
  return new Promise<boolean>((resolve, reject) => {
    const request = (url.startsWith('https:') ? https : http).request(url, { method: 'DELETE', agent: target.agent, headers, signal })
    request.setTimeout(target.timeoutMs, () => request.destroy(new GcsTimeout(target.timeoutMs)))
    request.on('error', reject)
    request.once('response', (response) => {
      responseText(response).then((text) => {
        const status = response.statusCode ?? 0
        if (status === 200 || status === 204) return true
        if (status === 404) return false
        throw new GcsRequestFailed(status, text)
      }).then(resolve, reject)
    })
    request.end()
  })
}
