import { createRequire } from 'node:module'
import type * as PromClient from 'prom-client'

// The prom-client classes the gateway's own metrics use, each from its module: prom-client's index also
// loads its push gateway, cluster aggregator and default metrics (which load @opentelemetry/api),
// ~5 MiB of resident memory that a gateway carries from its start although it needs them only once a scrape
// asks for Node's process metrics (see process-metrics.ts, which loads the index then). prom-client is pinned
// to an exact version in package.json; prom-classes.test.ts checks these are the index's classes.
const require = createRequire(import.meta.url)

export const Counter = require('prom-client/lib/counter') as typeof PromClient.Counter
export const Gauge = require('prom-client/lib/gauge') as typeof PromClient.Gauge
export const Histogram = require('prom-client/lib/histogram') as typeof PromClient.Histogram
export const Registry = require('prom-client/lib/registry') as typeof PromClient.Registry
export const Summary = require('prom-client/lib/summary') as typeof PromClient.Summary
export type Counter<T extends string = string> = PromClient.Counter<T>
export type Gauge<T extends string = string> = PromClient.Gauge<T>
export type Histogram<T extends string = string> = PromClient.Histogram<T>
export type Registry = PromClient.Registry
export type Summary<T extends string = string> = PromClient.Summary<T>
