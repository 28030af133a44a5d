/** All scenarios, in order. */
import s1 from './1-single-h1.js';
import s2 from './2-single-h2c.js';
import s3 from './3-concurrent.js';
import s4 from './4-small.js';
import s5 from './5-lock-release.js';
import s6 from './6-tus-js-client.js';
import s11 from './11-gcs.js';

/** @type {import('./types.js').Scenario[]} */
export const SCENARIOS = [s1, s2, s3, s4, s5, s6, s11];
