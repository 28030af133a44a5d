import type { Registry } from 'prom-client'

let registry: Promise<Registry> | undefined

/**
 * Node's default metrics (`process_*`, `nodejs_*`: CPU, memory, event loop lag, GC, handles), collected
 * once per process whatever the number of gateways in it: they describe the process, and each collection
 * starts monitors that cannot be stopped. Made at the first scrape, which loads prom-client's index (see
 * prom-classes.ts): the counters among them (CPU, GC) count from then.
 */
export function processMetrics(): Promise<Registry> {
  registry ??= import('prom-client').then(({ collectDefaultMetrics, Registry }) => {
    const made = new Registry()
    collectDefaultMetrics({ register: made })
    return made
  })
  return registry
}
