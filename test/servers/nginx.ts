import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe } from 'vitest'
import { describeUnavailable } from './availability.js'

/** nginx 1.22 (Debian) running as a reverse proxy on 127.0.0.1, started by a test. */
export interface NginxServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly url: string
  readonly port: number
  /** Stops nginx (SIGTERM, then SIGKILL) and removes its directory. Safe to call twice. */
  stop(): Promise<void>
  /** Everything nginx wrote to its error log so far. */
  errorLog(): Promise<string>
}

export interface NginxOptions {
  /** `host:port` of each upstream server; nginx balances round-robin over them, as by default. */
  readonly upstreams: readonly string[]
}

// Debian installs nginx in /usr/sbin, which a non-login PATH may leave out.
const SEARCH_PATH = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'].filter((dir) => dir !== '')

/** The nginx binary, or undefined when nginx is not installed. */
export function nginxBinary(): string | undefined {
  for (const dir of SEARCH_PATH) {
    const candidate = join(dir, 'nginx')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/** Why nginx cannot run here, for a skipped test's title; undefined when it can. */
export function nginxUnavailable(): string | undefined {
  return nginxBinary() === undefined ? 'nginx is not installed (apt-get install -y nginx)' : undefined
}

/** `describe(title, body)` when nginx can run here; otherwise what `describeUnavailable` puts in its place. */
export function describeWithNginx(title: string, body: () => void): void {
  const reason = nginxUnavailable()
  if (reason === undefined) describe(title, body)
  else describeUnavailable(title, 'nginx', reason)
}

/**
 * The configuration TEST-SERVERS.md verified for uploads behind nginx: bodies streamed to the upstream
 * as they arrive (`proxy_request_buffering off`), answers streamed back, upstream connections over
 * HTTP/1.1, and nginx's defaults everywhere else (notably `max_fails=1 fail_timeout=10s`, which marks an
 * upstream that failed once as down for 10 s). Every path nginx writes to is inside `dir`.
 */
function configuration(dir: string, port: number, upstreams: readonly string[]): string {
  return `
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
worker_processes 1;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/client_body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  upstream gateways {
${upstreams.map((upstream) => `    server ${upstream};`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 0;
    location / {
      proxy_pass http://gateways;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_request_buffering off;
      proxy_buffering off;
    }
  }
}
`
}

/**
 * Starts nginx in the foreground on a free loopback port with its own temporary directory (config,
 * logs, pid, temp paths), proxying to `upstreams`. Resolves once it accepts connections. Throws when
 * nginx is not installed or does not start (with its error log). The caller must `stop()` it.
 */
export async function startNginx(options: NginxOptions): Promise<NginxServer> {
  const binary = nginxBinary()
  if (binary === undefined) throw new Error(nginxUnavailable())
  const dir = await mkdtemp(join(tmpdir(), 'rg-nginx-'))
  await mkdir(join(dir, 'tmp'))
  // The port is free when picked; another process may take it before nginx binds it, so a failed
  // start is tried again with a new one.
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    await writeFile(join(dir, 'nginx.conf'), configuration(dir, port, options.upstreams))
    const child = spawn(binary, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    try {
      await untilListening(child, port)
      return running(child, dir, port)
    } catch (error) {
      lastError = new Error(`nginx did not start: ${(error as Error).message}\n${stderr}${await readFile(join(dir, 'error.log'), 'utf8').catch(() => '')}`)
      await stopProcess(child)
    }
  }
  await rm(dir, { recursive: true, force: true })
  throw lastError
}

function running(child: ChildProcess, dir: string, port: number): NginxServer {
  let stopped: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop() {
      stopped ??= stopProcess(child).then(() => rm(dir, { recursive: true, force: true }))
      return stopped
    },
    errorLog: () => readFile(join(dir, 'error.log'), 'utf8').catch(() => ''),
  }
}

async function untilListening(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode})`)
    if (await accepts(port)) return
    if (Date.now() > deadline) throw new Error(`not listening on port ${port} after 10 s`)
    await sleep(20)
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Fast shutdown (SIGTERM ends the master and its worker); SIGKILL if it is still there after 5 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}
