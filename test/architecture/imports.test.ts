import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The layers of src/ and what each may import (README, "Architecture"): imports point downward only.
// A top-level entry of src/ that is not listed here fails the test until it gets a rule.
const LAYERS: Record<string, readonly string[]> = {
  model: [],
  store: ['model'],
  lock: ['model'],
  transport: ['model'],
  core: ['model', 'store', 'lock'],
  protocol: ['model', 'core', 'transport'],
  // Metrics measure the store and the locker by wrapping them (observe/measured-*.ts).
  observe: ['model', 'core', 'transport', 'store', 'lock'],
  hooks: ['model', 'core', 'transport'],
  upstream: ['model', 'core', 'protocol', 'transport'],
  // The demo page: static files served on the transport's exchange.
  demo: ['model', 'transport'],
  // The composition roots: they put the layers together.
  'gateway.ts': ['*'],
  'index.ts': ['*'],
  'testing.ts': ['*'],
  'azure.ts': ['*'],
  's3.ts': ['*'],
  'gcs.ts': ['*'],
  'redis.ts': ['*'],
  cli: ['*'],
}

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src')
const IMPORT = /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

/** The files of src/ a file imports (relative imports, `.js` specifiers resolved to their `.ts` sources). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(IMPORT)].map((match) => resolve(dirname(file), (match[1] ?? match[2] ?? '').replace(/\.js$/, '.ts')))
}

function layerOf(file: string): string {
  return relative(SRC, file).split(sep)[0] ?? ''
}

const files = sourceFiles(SRC)
const graph = new Map(files.map((file) => [file, importsOf(file)]))

describe('architecture', () => {
  it('gives every top-level entry of src/ a layer rule', () => {
    const unknown = [...new Set(files.map(layerOf))].filter((layer) => LAYERS[layer] === undefined)
    expect(unknown, 'add a rule to LAYERS in test/architecture/imports.test.ts').toEqual([])
  })

  it('imports point downward only: store/, lock/ and transport/ import nothing from core/ or protocol/, and so on', () => {
    const upward: string[] = []
    for (const [file, imports] of graph) {
      const layer = layerOf(file)
      const allowed = LAYERS[layer] ?? []
      if (allowed.includes('*')) continue
      for (const imported of imports) {
        const target = layerOf(imported)
        if (target !== layer && !allowed.includes(target)) upward.push(`${relative(SRC, file)} -> ${relative(SRC, imported)}`)
      }
    }
    expect(upward).toEqual([])
  })

  it('has no import cycles between files', () => {
    const cycles: string[] = []
    const state = new Map<string, 'visiting' | 'done'>()
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((entry) => relative(SRC, entry)).join(' -> '))
        return
      }
      state.set(file, 'visiting')
      for (const imported of graph.get(file) ?? []) if (graph.has(imported)) visit(imported, [...path, file])
      state.set(file, 'done')
    }
    for (const file of graph.keys()) visit(file, [])
    expect(cycles).toEqual([])
  })

  it('cites files inside this repository, not ../shared', () => {
    const outside = files.filter((file) => /\bNOTES\b|\.\.\/shared|TUSD-COMPAT|PORTS\.md/.test(readFileSync(file, 'utf8')))
    expect(outside.map((file) => relative(SRC, file))).toEqual([])
  })
})
