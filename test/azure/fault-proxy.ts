import net from 'node:net'

/** What the proxy does to connections: forwards them, refuses them, answers 503, or holds their bytes. */
export type FaultMode = 'pass' | 'refuse' | 'fail' | 'hang'

/**
 * A TCP proxy on 127.0.0.1 in front of a server (Azurite), for tests of what a store does when its service
 * cannot be reached (`refuse`: connections are reset), answers 5xx (`fail`: every request gets
 * `503 Server Busy`), or goes silent (`hang`: bytes are held, both ways, until the mode changes back to
 * `pass`, when they flow on). Switching to `refuse` or `fail` cuts the connections already open.
 */
export class FaultProxy {
  readonly port: number
  #mode: FaultMode = 'pass'
  readonly #server: net.Server
  readonly #pairs = new Set<Pair>()

  private constructor(server: net.Server, port: number) {
    this.#server = server
    this.port = port
  }

  /** Starts a proxy to `targetPort` on 127.0.0.1, passing everything through. */
  static async start(targetPort: number): Promise<FaultProxy> {
    const accept: { to?: (client: net.Socket) => void } = {}
    const server = net.createServer((client) => accept.to?.(client))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const proxy = new FaultProxy(server, (server.address() as net.AddressInfo).port)
    accept.to = (client) => proxy.#accept(client, targetPort)
    return proxy
  }

  get mode(): FaultMode {
    return this.#mode
  }

  set mode(mode: FaultMode) {
    this.#mode = mode
    if (mode === 'refuse' || mode === 'fail') for (const pair of this.#pairs) pair.destroy()
    if (mode === 'pass') for (const pair of this.#pairs) pair.flush()
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    for (const pair of this.#pairs) pair.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept(client: net.Socket, targetPort: number): void {
    client.on('error', () => undefined)
    if (this.#mode === 'refuse') {
      client.resetAndDestroy()
      return
    }
    if (this.#mode === 'fail') {
      client.once('data', () => {
        const body = '<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>busy</Message></Error>'
        client.end(
          `HTTP/1.1 503 Server Busy\r\nContent-Type: application/xml\r\nx-ms-error-code: ServerBusy\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        )
      })
      return
    }
    const upstream = net.connect(targetPort, '127.0.0.1')
    upstream.on('error', () => undefined)
    const pair = new Pair(client, upstream, () => this.#mode === 'hang')
    this.#pairs.add(pair)
    const forget = (): void => {
      this.#pairs.delete(pair)
      pair.destroy()
    }
    client.once('close', forget)
    upstream.once('close', forget)
  }
}

/** Two sockets whose bytes are forwarded, or held while `holding()` says so. */
class Pair {
  readonly #held: { to: net.Socket; data: Buffer }[] = []

  constructor(
    readonly client: net.Socket,
    readonly upstream: net.Socket,
    readonly holding: () => boolean,
  ) {
    client.on('data', (data: Buffer) => this.#forward(upstream, data))
    upstream.on('data', (data: Buffer) => this.#forward(client, data))
  }

  flush(): void {
    for (const { to, data } of this.#held.splice(0)) to.write(data)
  }

  destroy(): void {
    this.client.destroy()
    this.upstream.destroy()
  }

  #forward(to: net.Socket, data: Buffer): void {
    if (this.holding()) this.#held.push({ to, data })
    else to.write(data)
  }
}
