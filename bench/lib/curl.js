/**
 * Uploads with curl (`curl -T`), one or many in parallel in one curl process
 * (`-Z`), over HTTP/1.1 or h2c (`--http2-prior-knowledge`).
 *
 * The same command line is sent to every contender: PATCH with the tus
 * headers (`Tus-Resumable`, `Upload-Offset: 0`, the offset+octet-stream
 * content type) and `Expect:` emptied so no 100-continue round trip is
 * involved. The raw limit servers ignore the tus headers.
 */
import { performance } from 'node:perf_hooks';
import { spawnTracked } from './children.js';

const CURL = '/usr/bin/curl';
const FORMAT = '%{urlnum}\t%{http_code}\t%{size_upload}\t%{time_total}\t%header{upload-offset}\t%header{bench-received}\n';

/**
 * @typedef {object} Transfer
 * @property {string} url
 * @property {number} status
 * @property {number} sizeUpload     bytes curl sent
 * @property {number} seconds        curl's time_total for this transfer
 * @property {number | null} uploadOffset   Upload-Offset of the answer (tus)
 * @property {number | null} received       Bench-Received of the answer (limit)
 */

/**
 * @param {{ uploads: Array<{ url: string, file: string }>, h2: boolean, timeoutMs: number }} opts
 * @returns {Promise<{ wallSeconds: number, transfers: Transfer[] }>}
 */
export async function curlUpload({ uploads, h2, timeoutMs }) {
  const args = [
    '-sS', '-g', '-X', 'PATCH',
    '-H', 'Tus-Resumable: 1.0.0',
    '-H', 'Upload-Offset: 0',
    '-H', 'Content-Type: application/offset+octet-stream',
    '--max-time', String(Math.ceil(timeoutMs / 1000)),
    // a transfer that stalls (below 1 KiB/s for 30 s, answer included) fails
    '--speed-limit', '1024', '--speed-time', '30',
    '-w', FORMAT,
  ];
  if (h2) args.push('--http2-prior-knowledge');
  else args.push('-H', 'Expect:');
  if (uploads.length > 1) args.push('-Z', '--parallel-max', String(uploads.length), '--parallel-immediate');
  for (const u of uploads) args.push('-T', u.file, '-o', '/dev/null', u.url);

  const t0 = performance.now();
  const child = spawnTracked(CURL, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s) => { out += s; });
  child.stderr?.setEncoding('utf8').on('data', (s) => { err = (err + s).slice(-2000); });
  const killer = setTimeout(() => { try { child.kill('SIGKILL'); } catch {} }, timeoutMs + 5000);
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, sig) => resolve(c ?? sig));
  }).finally(() => clearTimeout(killer));
  const wallSeconds = (performance.now() - t0) / 1000;

  /** @type {Transfer[]} */
  const transfers = [];
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    const [num, status, size, secs, offset, received] = line.split('\t');
    transfers.push({
      url: uploads[Number(num)]?.url ?? '?',
      status: Number(status),
      sizeUpload: Number(size),
      seconds: Number(secs),
      uploadOffset: offset ? Number(offset) : null,
      received: received ? Number(received) : null,
    });
  }
  if (code !== 0) throw new Error(`curl exited ${code}: ${err.trim() || out.trim()}`);
  if (transfers.length !== uploads.length) throw new Error(`curl reported ${transfers.length} of ${uploads.length} transfers`);
  const bad = transfers.filter((t) => t.status < 200 || t.status >= 300);
  if (bad.length) throw new Error(`curl: ${bad.length} transfer(s) answered ${bad.map((t) => t.status).join(',')}`);
  return { wallSeconds, transfers };
}
