import { expect, it } from 'vitest'
import { beforeWrite, checkBeforeWrites } from './write-checks.js'

it('runs every registered check before a write, and none once removed', () => {
  const runs: string[] = []
  const stopA = checkBeforeWrites(() => runs.push('a'))
  const stopB = checkBeforeWrites(() => runs.push('b'))
  beforeWrite()
  stopA()
  beforeWrite()
  stopB()
  beforeWrite()
  expect(runs).toEqual(['a', 'b', 'b'])
})
