/**
 * The parts of the scale-out scenarios (12 and 13): gateway processes with a
 * shared locker, a redis-server, and nginx as a round-robin load balancer,
 * each started on a free loopback port in the run's directory and stopped by
 * its own pid. A part that cannot run here (no redis-server, no nginx)
 * raises UnavailableError: the run reads "skipped".
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnTracked } from './children.js';
import { GATEWAY_MAIN, PROJECT_DIR, UnavailableError, start } from './contenders.js';

/** @returns {Promise<number>} a free TCP port on 127.0.0.1 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * Send one command (RESP) and resolve with the first reply line.
 * @param {number} port
 * @param {string[]} parts
 */
function redisCommand(port, parts) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`));
    socket.on('data', (text) => {
      reply += text;
      if (reply.includes('\r\n')) { socket.destroy(); resolve(reply.split('\r\n')[0]); }
    });
    socket.once('error', reject);
  });
}

/**
 * A redis-server without persistence in `dir`. The gateways' locker starts
 * granting after one lease on a Redis it has never seen (so that holders of
 * leases a restarted Redis forgot have given up first); this Redis is marked
 * as serving locks for long, so that no run waits for that.
 * @param {string} dir
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function startRedis(dir) {
  const port = await freePort();
  await mkdir(path.join(dir, 'redis'), { recursive: true });
  let child;
  try {
    child = spawnTracked('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', path.join(dir, 'redis')], { stdio: 'ignore' });
  } catch (err) {
    throw new UnavailableError(`redis-server cannot start: ${/** @type {Error} */ (err).message}`);
  }
  const spawnFailed = new Promise((resolve) => child.once('error', resolve));
  for (let i = 0; i < 200; i++) {
    const failure = await Promise.race([spawnFailed, sleep(25).then(() => null)]);
    if (failure) throw new UnavailableError(`redis-server not installed (apt-get install -y redis-server): ${/** @type {Error} */ (failure).message}`);
    if (await redisCommand(port, ['PING']).then((r) => r === '+PONG', () => false)) break;
  }
  await redisCommand(port, ['SET', 'resumable-gateway:started', '0']);
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

/**
 * A gateway process on `uploadDir` with more flags (the locker's).
 * @param {string} uploadDir
 * @param {string[]} extra
 * @param {string} id        its name in messages
 */
export function startGateway(uploadDir, extra, id) {
  /** @type {import('./contenders.js').ContenderSpec} */
  const spec = {
    column: 'gateway', id, protocol: 'tus', h2: false, stores: true,
    command: (dir) => ({ cwd: PROJECT_DIR, args: [GATEWAY_MAIN, '--host', '127.0.0.1', '--port', '0', '--upload-dir', dir, '--log-level', 'silent', ...extra] }),
  };
  return start(spec, uploadDir);
}

const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/**
 * nginx 1.22 as TEST-SERVERS.md (and the README's scale-out section) set it
 * up for uploads: bodies streamed both ways, HTTP/1.1 to the gateways, and
 * round-robin with nginx's defaults otherwise.
 * @param {string} dir
 * @param {string[]} upstreams   host:port of each gateway
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function startNginx(dir, upstreams) {
  if (!NGINX) throw new UnavailableError('nginx not installed (apt-get install -y nginx)');
  const prefix = path.join(dir, 'nginx');
  await mkdir(path.join(prefix, 'tmp'), { recursive: true });
  const port = await freePort();
  await writeFile(path.join(prefix, 'nginx.conf'), `
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
worker_processes 1;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/client_body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  upstream gateways {
${upstreams.map((u) => `    server ${u};`).join('\n')}
    keepalive 64;
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
`);
  const child = spawnTracked(NGINX, ['-p', `${prefix}/`, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log'), '-g', 'daemon off;'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}); see ${prefix}/error.log`);
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (up) return { url: `http://127.0.0.1:${port}/files/`, stop: () => stopChild(child) };
    await sleep(20);
  }
  await stopChild(child);
  throw new Error('nginx did not listen within 4 s');
}

/**
 * SIGTERM, then SIGKILL after 3 s.
 * @param {import('node:child_process').ChildProcess} child
 */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch {} }, 3000);
    child.once('exit', () => { clearTimeout(timer); resolve(undefined); });
    try { child.kill('SIGTERM'); } catch { clearTimeout(timer); resolve(undefined); }
  });
}
