import { describe } from 'vitest'
import { runHttpCases } from '../support/http-cases.js'

const HOUR = 3_600_000
const EVERY_EXTENSION =
  'creation,creation-with-upload,creation-defer-length,termination,checksum,checksum-trailer,expiration,concatenation,concatenation-unfinished'

// Discovery of the extensions of issue 3: what OPTIONS announces depends on the configuration.
describe('with --expire-after', () => {
  runHttpCases(
    [
      {
        name: '[T-39] [T-42] [T-47] [T-50] [T-54] OPTIONS lists every tus 1.0.0 extension',
        method: 'OPTIONS',
        status: 200,
        responseHeaders: { 'tus-extension': EVERY_EXTENSION },
      },
      {
        name: '[T-44] [T-45] OPTIONS lists the checksum algorithms in Tus-Checksum-Algorithm, sha1 first',
        method: 'OPTIONS',
        status: 200,
        responseHeaders: { 'tus-checksum-algorithm': 'sha1,md5,sha256,sha512,crc32' },
      },
    ],
    { expireAfterMs: HOUR },
  )
})

describe('without --expire-after', () => {
  runHttpCases([
    {
      name: '[T-39] expiration is not listed while uploads never expire',
      method: 'OPTIONS',
      status: 200,
      responseHeaders: { 'tus-extension': EVERY_EXTENSION.replace(',expiration', '') },
    },
  ])
})

describe('with --expire-finished-after only', () => {
  runHttpCases(
    [
      {
        name: '[T-39] expiration (of unfinished uploads) is not listed when only finished uploads expire',
        method: 'OPTIONS',
        status: 200,
        responseHeaders: { 'tus-extension': EVERY_EXTENSION.replace(',expiration', '') },
      },
    ],
    { expireFinishedAfterMs: HOUR },
  )
})
