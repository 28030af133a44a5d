import { constants } from 'node:perf_hooks'
import { afterEach, expect, it } from 'vitest'
import { spawnProbedGateway, type ProbedGateway } from './probed-gateway.js'

// src/cli/heap-tuning.ts: the CLI turns V8's incremental marking off (measured: a fast upload otherwise makes
// the gateway start a mark-compact every few megabytes of body, ~60% more CPU per byte). Whether that happens
// in a given upload depends on the heap's state, so this test checks the setting itself: a preloaded probe
// makes the gateway's process promote and drop ~100 MB of objects five times, which forces a full collection,
// and reports the kinds of collections seen. With incremental marking on, V8 reaches it by incremental marking.

const PROBE = `
const { PerformanceObserver } = require('node:perf_hooks')
const kinds = {}
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) kinds[entry.detail.kind] = (kinds[entry.detail.kind] ?? 0) + 1
}).observe({ entryTypes: ['gc'] })
let kept = []
function grow(rounds) {
  for (let index = 0; index < 100000; index++) kept.push({ index, text: 'x' + index })
  if (rounds % 5 === 0) kept = []
  if (rounds > 0) return setImmediate(grow, rounds - 1)
  setTimeout(() => {
    kept = []
    process.stderr.write('GC KINDS ' + JSON.stringify(kinds) + '\\n')
  }, 100)
}
process.on('SIGUSR2', () => grow(30))
`

// With the young generation kept small, the probe's objects move to the old generation a few at a time, and
// V8 lets it grow past them without a full collection for long: a smaller old generation makes one come.
const SMALL_OLD_GENERATION = ['--max-old-space-size=256']

let probed: ProbedGateway | undefined

afterEach(async () => {
  await probed?.stop()
  probed = undefined
})

it('the CLI collects its heap without incremental marking', async () => {
  probed = await spawnProbedGateway(PROBE, [], SMALL_OLD_GENERATION)
  const kinds = JSON.parse(await probed.ask('GC KINDS')) as Record<string, number>
  expect(kinds[constants.NODE_PERFORMANCE_GC_MAJOR], 'the probe forced a full collection').toBeGreaterThan(0)
  expect(kinds[constants.NODE_PERFORMANCE_GC_INCREMENTAL]).toBeUndefined()
})

it('node --incremental-marking keeps it on: whoever names the flag keeps their choice', async () => {
  probed = await spawnProbedGateway(PROBE, [], [...SMALL_OLD_GENERATION, '--incremental-marking'])
  const kinds = JSON.parse(await probed.ask('GC KINDS')) as Record<string, number>
  expect(kinds[constants.NODE_PERFORMANCE_GC_INCREMENTAL]).toBeGreaterThan(0)
})

// The CLI keeps V8's young generation at its starting size (measured: ~20 MiB less peak RSS while bodies
// stream). A probe churns through short-lived objects, some surviving a few turns, which makes V8 grow the
// young generation to its largest (32 MiB) by default, and reports its size.
const YOUNG_PROBE = `
const v8 = require('node:v8')
let kept = []
function churn(rounds) {
  for (let index = 0; index < 50000; index++) kept.push({ index, text: 'x' + index })
  if (kept.length > 200000) kept = kept.slice(100000)
  if (rounds > 0) return setImmediate(churn, rounds - 1)
  kept = []
  const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')
  process.stderr.write('YOUNG ' + young.space_size + '\\n')
}
process.on('SIGUSR2', () => churn(40))
`

const MiB = 1024 * 1024

it('the CLI keeps the young generation at its starting size', async () => {
  probed = await spawnProbedGateway(YOUNG_PROBE)
  expect(Number(await probed.ask('YOUNG'))).toBeLessThanOrEqual(4 * MiB)
})

it('node --semi-space-growth-factor=2 lets it grow again', async () => {
  probed = await spawnProbedGateway(YOUNG_PROBE, [], ['--semi-space-growth-factor=2'])
  expect(Number(await probed.ask('YOUNG'))).toBeGreaterThan(8 * MiB)
})

it('so does --max-semi-space-size in NODE_OPTIONS (which takes no other flag of these)', async () => {
  probed = await spawnProbedGateway(YOUNG_PROBE, [], [], ['--max-semi-space-size=16'])
  expect(Number(await probed.ask('YOUNG'))).toBeGreaterThan(8 * MiB)
})
