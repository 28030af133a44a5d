/**
 * The few tus requests the harness makes itself (creation, creation-with-
 * upload), over HTTP/1.1 (undici) or h2c (node:http2, prior knowledge).
 *
 * Location handling: the upload URL is the *path* of the `Location` header
 * resolved against the contender's own origin. This is needed for the h2c
 * peer, whose @tus/server answers `Location: http://null/files/<id>` (it
 * reads the absent `Host` header); for everyone else it changes nothing.
 *
 * For the raw "limit" contenders there is no creation: the upload URL is
 * simply `<base><random name>`.
 */
import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import { request } from 'undici';

export const TUS = { 'tus-resumable': '1.0.0' };
/** Bound of the harness's own small requests (creation etc.). */
export const REQUEST_TIMEOUT_MS = 15_000;
export const OCTETS = { 'content-type': 'application/offset+octet-stream' };

/**
 * @param {string} base
 * @param {string | undefined | null} location
 */
export function resolveUploadUrl(base, location) {
  if (!location) throw new Error('no Location header in the creation response');
  const { pathname } = new URL(location, base);
  return new URL(pathname, base).href;
}

/**
 * @typedef {{ status: number, headers: Record<string, string | string[] | undefined> }} Answer
 */

/**
 * One request over h2c on an existing session; the body is drained.
 * @param {import('node:http2').ClientHttp2Session} session
 * @param {string} url
 * @param {{ method: string, headers?: Record<string, string>, body?: Buffer }} req
 * @returns {Promise<Answer>}
 */
export function h2Request(session, url, { method, headers = {}, body }) {
  const { pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': method, ':path': pathname + search, ...headers }, { endStream: !body });
    /** @type {Answer['headers']} */
    let got = {};
    let status = 0;
    stream.on('response', (h) => { status = Number(h[':status']); got = /** @type {any} */ (h); });
    stream.on('error', reject);
    stream.setTimeout(REQUEST_TIMEOUT_MS, () => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`${method} ${url}: no answer within ${REQUEST_TIMEOUT_MS} ms`));
    });
    stream.on('end', () => resolve({ status, headers: got }));
    stream.resume();
    if (body) stream.end(body);
  });
}

/**
 * Open an h2c session (prior knowledge) to the origin of `url`.
 * @param {string} url
 * @returns {Promise<import('node:http2').ClientHttp2Session>}
 */
export function h2Connect(url) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(new URL(url).origin);
    const timer = setTimeout(() => { session.destroy(); reject(new Error(`h2c connect ${url}: timed out`)); }, REQUEST_TIMEOUT_MS);
    session.once('connect', () => { clearTimeout(timer); resolve(session); });
    session.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

/**
 * One HTTP/1.1 request with undici; the body is drained.
 * @param {string} url
 * @param {{ method: string, headers?: Record<string, string>, body?: Buffer, dispatcher?: import('undici').Dispatcher }} req
 * @returns {Promise<Answer>}
 */
export async function h1Request(url, { method, headers = {}, body, dispatcher }) {
  const res = await request(url, {
    method: /** @type {any} */ (method), headers, body, dispatcher,
    headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  await res.body.dump();
  return { status: res.statusCode, headers: res.headers };
}

/** @param {Answer['headers']} h @param {string} name */
export function header(h, name) {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Create an upload of `size` bytes and return its URL (tus creation), or
 * make up a file URL for the raw limit servers.
 * @param {import('./contenders.js').Instance} inst
 * @param {number} size
 * @returns {Promise<string>}
 */
export async function createUpload(inst, size) {
  if (inst.spec.protocol === 'raw') return new URL(randomBytes(12).toString('hex'), inst.base).href;
  const headers = { ...TUS, 'upload-length': String(size) };
  let answer;
  if (inst.spec.h2) {
    const session = await h2Connect(inst.base);
    try {
      answer = await h2Request(session, inst.base, { method: 'POST', headers });
    } finally {
      session.close();
    }
  } else {
    answer = await h1Request(inst.base, { method: 'POST', headers });
  }
  if (answer.status !== 201) throw new Error(`creation answered ${answer.status}, expected 201`);
  return resolveUploadUrl(inst.base, header(answer.headers, 'location'));
}
