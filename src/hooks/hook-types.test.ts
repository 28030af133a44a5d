import { describe, expect, it } from 'vitest'
import { DEFAULT_ENABLED_HOOKS, parseEnabledHooks, TUSD_HOOK_TYPES } from './hook-types.js'

describe('--hooks-enabled-events', () => {
  it("defaults to tusd's set: pre-finish and pre-terminate off", () => {
    expect(DEFAULT_ENABLED_HOOKS).toEqual(['pre-create', 'post-create', 'post-receive', 'post-terminate', 'post-finish'])
  })

  it("enables tusd's seven for an empty value, as tusd does (pre-access only when named)", () => {
    expect(parseEnabledHooks('')).toEqual([...TUSD_HOOK_TYPES])
    expect(parseEnabledHooks('  ')).toEqual([...TUSD_HOOK_TYPES])
  })

  it("trims each entry (tusd's fails on 'pre-create, post-finish')", () => {
    expect(parseEnabledHooks('pre-create, post-finish ,pre-access')).toEqual(['pre-create', 'post-finish', 'pre-access'])
  })

  it('refuses an unknown event or an empty entry, naming it', () => {
    expect(() => parseEnabledHooks('pre-create,post-upload')).toThrow(/"post-upload"/)
    expect(() => parseEnabledHooks('pre-create,')).toThrow(/""/)
  })
})
