#!/usr/bin/env node
// The heap is tuned before anything else loads: loading the gateway's modules would already grow V8's
// young generation (see heap-tuning.ts). Then the command runs.
import { tuneHeap } from './heap-tuning.js'

tuneHeap()
await import('./gateway-command.js')
