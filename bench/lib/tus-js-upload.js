/**
 * One timed upload with tus-js-client (in the benchmark's process), as
 * scenarios 6, 10 and 11 make it, and the figures they report from it.
 */
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as tus from 'tus-js-client';
import { GiB, MiB } from './config.js';

/**
 * @typedef {object} TimedUpload
 * @property {string} url           the upload's URL
 * @property {number} seconds       from the creation to the last answer
 * @property {number | null} cpu    the server's CPU seconds meanwhile (null: unknown)
 * @property {number | null} rss    the server's peak RSS in bytes afterwards (null: unknown)
 */

/**
 * Uploads `file` to `server.base` (one PATCH, or chunks of `chunkSize`), no retries.
 * @param {{ base: string, cpu(): number | null, peakRss(): number | null }} server
 * @param {{ path: string, size: number }} file
 * @param {{ chunkSize?: number }} [options]
 * @returns {Promise<TimedUpload>}
 */
export async function timedTusJsUpload(server, file, { chunkSize } = {}) {
  const cpu0 = server.cpu();
  const t0 = performance.now();
  /** @type {string} */
  const url = await new Promise((resolve, reject) => {
    const upload = new tus.Upload(createReadStream(file.path), {
      endpoint: server.base,
      ...(chunkSize === undefined ? {} : { chunkSize }),
      uploadSize: file.size,
      retryDelays: null,
      metadata: { filename: 'bench.bin' },
      onError: reject,
      onSuccess: () => resolve(/** @type {string} */ (upload.url)),
    });
    upload.start();
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = server.cpu();
  const rss = server.peakRss();
  return { url, seconds, cpu: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null, rss };
}

/**
 * The run's result: MiB/s, CPU-s/GiB and peak RSS of `timed`, with `verified` (how the bytes were checked).
 * @param {number} size
 * @param {TimedUpload} timed
 * @param {string} verified
 * @returns {import('../scenarios/types.js').RunResult}
 */
export function uploadResult(size, { url, seconds, cpu, rss }, verified) {
  return {
    metrics: {
      mibps: size / MiB / seconds,
      cpuPerGiB: cpu === null ? null : cpu / (size / GiB),
      peakRssMiB: rss === null ? null : rss / MiB,
    },
    details: { bytes: size, seconds, cpuSeconds: cpu, peakRssBytes: rss, verified, url },
  };
}
