/** All scenarios, in order. */
import s1 from './1-single-h1.js';
import s2 from './2-single-h2c.js';
import s3 from './3-concurrent.js';
import s4 from './4-small.js';
import s5 from './5-lock-release.js';
import s6 from './6-tus-js-client.js';
import s7 from './7-hostile.js';
import s8 from './8-s3-single.js';
import s9 from './9-s3-concurrent.js';
import s10 from './10-azure.js';
import s11 from './11-gcs.js';
import s12 from './12-cross-gateway-release.js';
import s13 from './13-scale-out-throughput.js';
import s14 from './14-s3-concurrent-unhashed.js';

/** @type {import('./types.js').Scenario[]} */
export const SCENARIOS = [s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14];
