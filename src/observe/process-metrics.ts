import { collectDefaultMetrics, Registry } from 'prom-client'

let registry: Registry | undefined

/**
 * Node's default metrics (`process_*`, `nodejs_*`: CPU, memory, event loop lag, GC, handles), collected
 * once per process whatever the number of gateways in it: they describe the process, and each collection
 * starts monitors that cannot be stopped.
 */
export function processMetrics(): Registry {
  if (registry === undefined) {
    registry = new Registry()
    collectDefaultMetrics({ register: registry })
  }
  return registry
}
