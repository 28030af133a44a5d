import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

// Every protocol rule we implement is a row of a table in spec/*.md: `| T-10 | rule | path/to/test.ts |`.
// This test fails when a listed rule has no test: the named file must exist and carry the ID in a
// test title (convention: `it('[T-10] ...')`).

const root = new URL('..', import.meta.url).pathname
const ROW = /^\|\s*([TR]-\d{2})\s*\|(.*)\|\s*([^|]*?)\s*\|\s*$/

interface SpecRow {
  readonly id: string
  readonly file: string
  readonly tests: string[]
}

function specRows(file: string): SpecRow[] {
  return readFileSync(join(root, 'spec', file), 'utf8')
    .split('\n')
    .map((line) => ROW.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({
      id: match[1] ?? '',
      file,
      tests: (match[3] ?? '')
        .split(/[,\s]+/)
        .map((test) => test.replace(/`/g, ''))
        .filter((test) => test.endsWith('.ts')),
    }))
}

function testFiles(dir: string): string[] {
  const files: string[] = []
  for (const entry of readdirSync(join(root, dir))) {
    const path = join(root, dir, entry)
    if (entry === 'node_modules') continue
    if (statSync(path).isDirectory()) files.push(...testFiles(relative(root, path)))
    else if (entry.endsWith('.test.ts')) files.push(relative(root, path))
  }
  return files
}

const specFiles = readdirSync(join(root, 'spec')).filter((file) => file.endsWith('.md'))
const rows = specFiles.flatMap(specRows)
const allTests = ['src', 'test', 'interop'].flatMap(testFiles).filter((file) => file !== 'spec/spec-coverage.test.ts')
const titleHasId = (source: string, id: string): boolean =>
  new RegExp(`(it|test|describe)(\\.each\\([^)]*\\))?\\(\\s*[\`'"][^\`'"]*\\[[^\\]]*\\b${id}\\b`).test(source) ||
  new RegExp(`\\[[^\\]]*\\b${id}\\b[^\\]]*\\]`).test(source)

describe('spec coverage', () => {
  it('lists rules in spec/*.md', () => {
    expect(rows.length).toBeGreaterThan(0)
  })

  it.each(rows.map((row) => [row.id, row]))('%s names at least one test file that proves it', (_id, row) => {
    expect(row.tests, `${row.file}: ${row.id} names no test file`).not.toHaveLength(0)
    for (const test of row.tests) {
      expect(allTests, `${row.file}: ${row.id} names ${test}, which is not a test file`).toContain(test)
      const source = readFileSync(join(root, test), 'utf8')
      expect(titleHasId(source, row.id), `${test} has no test titled with [${row.id}]`).toBe(true)
    }
  })
})
