import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { BlockBlobClient, StorageSharedKeyCredential } from '@azure/storage-blob'

/**
 * An HTTP proxy in front of Azurite that also answers the one call Azurite lacks, `Put Block From URL`
 * (`stageBlockFromURL`, 501 in Azurite), as Azure documents it: it reads `x-ms-source-range` of the blob that
 * `x-ms-copy-source` names (through itself, so Azurite checks the SAS in that URL) and stages those bytes as
 * the block. Every other request goes to Azurite as it is. A stand-in for Azure, named as one, for the
 * server-side copies of concatenations and roll-backs; `copies` counts the blocks it copied.
 */
export class CopySourceProxy {
  readonly port: number
  copies = 0
  readonly #server: http.Server

  private constructor(server: http.Server, port: number) {
    this.#server = server
    this.port = port
  }

  /** Starts a proxy to Azurite on `targetPort`, whose account is `account` with key `key`. */
  static async start(targetPort: number, account: string, key: string): Promise<CopySourceProxy> {
    const handler: { proxy?: CopySourceProxy } = {}
    const server = http.createServer((request, response) => {
      const copySource = request.headers['x-ms-copy-source']
      const url = new URL(request.url ?? '/', 'http://127.0.0.1')
      if (request.method === 'PUT' && url.searchParams.get('comp') === 'block' && typeof copySource === 'string') {
        request.resume()
        void copyBlock(url, copySource, request.headers['x-ms-source-range'], targetPort, account, key).then(
          () => {
            if (handler.proxy !== undefined) handler.proxy.copies++
            response.writeHead(201, { 'x-ms-request-id': 'copy-source-proxy', 'x-ms-version': '2025-01-05', date: new Date().toUTCString(), 'content-length': '0' })
            response.end()
          },
          (error: unknown) => {
            response.writeHead(500, { 'content-type': 'text/plain' })
            response.end(String(error))
          },
        )
        return
      }
      const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: request.method, path: request.url, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      })
      upstream.once('error', () => response.destroy())
      request.pipe(upstream)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    handler.proxy = new CopySourceProxy(server, (server.address() as AddressInfo).port)
    return handler.proxy
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}

/** Reads the range of the source (a SAS URL, through the proxy) and stages it as the block the request names, in Azurite. */
async function copyBlock(url: URL, source: string, range: string | string[] | undefined, targetPort: number, account: string, key: string): Promise<void> {
  const read = await fetch(source, typeof range === 'string' ? { headers: { range } } : {})
  if (read.status !== 200 && read.status !== 206) throw new Error(`the copy source answered ${read.status}`)
  const bytes = Buffer.from(await read.arrayBuffer())
  const blockId = url.searchParams.get('blockid') as string
  const target = new BlockBlobClient(`http://127.0.0.1:${targetPort}${url.pathname}`, new StorageSharedKeyCredential(account, key))
  await target.stageBlock(blockId, bytes, bytes.length)
}
