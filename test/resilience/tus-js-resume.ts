import { Upload } from 'tus-js-client'

/**
 * Finishes the upload at `uploadUrl` with tus-js-client, as a client resuming after a crash does: it asks for
 * the offset (HEAD) and sends the rest of `data` from there. Resolves with the requests it made
 * (`HEAD`, `PATCH <offset>`); rejects with its error, without retries.
 */
export async function resumeWithTusJsClient(uploadUrl: string, data: Buffer): Promise<string[]> {
  const requests: string[] = []
  await new Promise<void>((resolve, reject) => {
    new Upload(data, {
      uploadUrl,
      retryDelays: [],
      onBeforeRequest: (request) => {
        requests.push(`${request.getMethod()} ${request.getHeader('Upload-Offset') ?? ''}`.trim())
      },
      onSuccess: () => resolve(),
      onError: reject,
    }).start()
  })
  return requests
}
