import http from 'node:http'
import https from 'node:https'
import { GcsRequestFailed, GcsTimeout, isUnavailable } from './gcs-errors.js'
import { pause, retryDelay, type UploadTarget } from './object-upload.js'

/**
 * Deletes object `name` with the JSON API's DELETE, tried again as the policy allows while GCS is
 * unavailable; resolves false if there was none (also when an attempt whose answer was lost deleted it).
 * One plain request per attempt, aborted for real by `signal`: the SDK's delete builds a `File` and its
 * request objects per call, which 256 chunk deletes on finish turned into ~20 MiB more peak memory.
 * Throws `GcsRequestFailed`, `GcsTimeout`, a socket error, or `signal.reason`.
 */
export async function deleteObject(target: UploadTarget, name: string, signal: AbortSignal): Promise<boolean> {
  for (let retry = 1; ; retry++) {
    signal.throwIfAborted()
    try {
      return await deleteOnce(target, name, signal)
    } catch (error) {
      if (signal.aborted) throw signal.reason
      if (retry > target.retry.maxRetries || !isUnavailable(error)) throw error
    }
    await pause(retryDelay(target.retry, retry), signal)
  }
}

async function deleteOnce(target: UploadTarget, name: string, signal: AbortSignal): Promise<boolean> {
  const url = `${target.endpoint.replace(/\/+$/, '')}/storage/v1/b/${encodeURIComponent(target.bucket)}/o/${encodeURIComponent(name)}`
  const headers = await target.headers()
  return new Promise<boolean>((resolve, reject) => {
    const request = (url.startsWith('https:') ? https : http).request(url, { method: 'DELETE', agent: target.agent, headers, signal })
    request.setTimeout(target.timeoutMs, () => request.destroy(new GcsTimeout(target.timeoutMs)))
    request.on('error', reject)
    request.once('response', (response) => {
      const parts: Buffer[] = []
      response.on('data', (part: Buffer) => parts.push(part))
      response.on('error', reject)
      response.once('end', () => {
        const status = response.statusCode ?? 0
        if (status === 200 || status === 204) resolve(true)
        else if (status === 404) resolve(false)
        else reject(new GcsRequestFailed(status, Buffer.concat(parts).toString('utf8')))
      })
    })
    request.end()
  })
}
