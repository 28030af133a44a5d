/**
 * Scenario 2: the same as scenario 1 over h2c (curl --http2-prior-knowledge).
 * The peer runs @tus/server on node:http2; the gateway serves h2c on its
 * one port; the limit servers run on node:http2.
 */
import { singleUpload } from './single-upload.js';

export default singleUpload({ id: 2, h2: true });
