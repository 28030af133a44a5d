import { constants } from 'node:perf_hooks'
import { afterEach, expect, it } from 'vitest'
import { spawnProbedGateway, type ProbedGateway } from './probed-gateway.js'

// src/cli/heap-tuning.ts: the CLI turns V8's incremental marking off (measured: a fast upload otherwise makes
// the gateway start a mark-compact every few megabytes of body, ~60% more CPU per byte). Whether that happens
// in a given upload depends on the heap's state, so this test checks the setting itself: a preloaded probe
// makes the gateway's process promote ~20 MB of objects, which forces a full collection, and reports the
// kinds of collections seen. With incremental marking on, V8 reaches that collection by incremental marking.

const PROBE = `
const { PerformanceObserver } = require('node:perf_hooks')
const kinds = {}
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) kinds[entry.detail.kind] = (kinds[entry.detail.kind] ?? 0) + 1
}).observe({ entryTypes: ['gc'] })
let kept = []
function grow(rounds) {
  for (let index = 0; index < 100000; index++) kept.push({ index, text: 'x' + index })
  if (rounds > 0) return setImmediate(grow, rounds - 1)
  setTimeout(() => {
    kept = []
    process.stderr.write('GC KINDS ' + JSON.stringify(kinds) + '\\n')
  }, 100)
}
process.on('SIGUSR2', () => grow(10))
`

let probed: ProbedGateway | undefined

afterEach(async () => {
  await probed?.stop()
  probed = undefined
})

it('the CLI collects its heap without incremental marking', async () => {
  probed = await spawnProbedGateway(PROBE)
  const kinds = JSON.parse(await probed.ask('GC KINDS')) as Record<string, number>
  expect(kinds[constants.NODE_PERFORMANCE_GC_MAJOR], 'the probe forced a full collection').toBeGreaterThan(0)
  expect(kinds[constants.NODE_PERFORMANCE_GC_INCREMENTAL]).toBeUndefined()
})

it('node --incremental-marking keeps it on: whoever names the flag keeps their choice', async () => {
  probed = await spawnProbedGateway(PROBE, [], ['--incremental-marking'])
  const kinds = JSON.parse(await probed.ask('GC KINDS')) as Record<string, number>
  expect(kinds[constants.NODE_PERFORMANCE_GC_INCREMENTAL]).toBeGreaterThan(0)
})
