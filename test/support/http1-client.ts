import { Client } from 'undici'
import { flattenHeaders, requestPath, testResponse, type TestClient, type TestRequest, type TestResponse } from './client.js'

/** HTTP/1.1 over cleartext TCP, through undici (the client behind Node's fetch). */
export function http1Client(port: number): TestClient {
  const origin = `http://127.0.0.1:${port}`
  const client = new Client(origin)
  return {
    origin,
    async request(request: TestRequest): Promise<TestResponse> {
      const response = await client.request({
        method: request.method as 'GET',
        path: requestPath(request.url, origin),
        headers: { ...request.headers },
        body: request.body as string | Uint8Array | undefined,
      })
      const body = Buffer.from(await response.body.arrayBuffer())
      return testResponse(response.statusCode, flattenHeaders(response.headers), body)
    },
    close: () => client.close(),
  }
}
