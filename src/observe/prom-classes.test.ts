import * as promClient from 'prom-client'
import { expect, it } from 'vitest'
import { Counter, Gauge, Histogram, Registry, Summary } from './prom-classes.js'

it('the classes loaded from their own modules are those of prom-client\'s index', () => {
  expect(Counter).toBe(promClient.Counter)
  expect(Gauge).toBe(promClient.Gauge)
  expect(Histogram).toBe(promClient.Histogram)
  expect(Registry).toBe(promClient.Registry)
  expect(Summary).toBe(promClient.Summary)
})
