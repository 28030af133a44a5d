import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src')

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

// On Node 20, `AbortSignal.any` leaves an entry in every source signal per call that no garbage collection frees
// while the source lives: linked to a signal that lives as long as the gateway (its shutdown, a sweeper's stop, a
// hook queue's), every request grew the heap for good (~40 bytes a call, measured with --expose-gc). The
// gateway links signals with `eitherSignal` (src/model/either-signal.ts), whose `unlink` removes its listeners.
it('src/ links signals with eitherSignal, never with AbortSignal.any (a leak on Node 20 when a source lives long)', () => {
  const calls = sourceFiles(SRC).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, index) => (/AbortSignal\.any\(/.test(line) && !/^\s*(\/\/|\*)/.test(line) ? [`${relative(SRC, file)}:${index + 1}`] : [])),
  )
  expect(calls).toEqual([])
})
