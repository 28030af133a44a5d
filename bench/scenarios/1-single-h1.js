/** Scenario 1: one large upload in a single PATCH over HTTP/1.1 (curl -T). */
import { singleUpload } from './single-upload.js';

export default singleUpload({ id: 1, h2: false });
