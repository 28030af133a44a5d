/** tusd v2's seven hook events, in tusd's order (`hooks.AvailableHooks`). */
export const TUSD_HOOK_TYPES = ['pre-create', 'post-create', 'post-receive', 'pre-terminate', 'post-terminate', 'post-finish', 'pre-finish'] as const

/** Every hook event: tusd's seven and ours, `pre-access` (before any request reads or changes an upload). */
export const HOOK_TYPES = [...TUSD_HOOK_TYPES, 'pre-access'] as const

/** The name of a hook event, as it appears in the payload's `Type` and as a hook file's name. */
export type HookType = (typeof HOOK_TYPES)[number]

/** tusd's default `-hooks-enabled-events`: pre-finish and pre-terminate are off unless named. */
export const DEFAULT_ENABLED_HOOKS: readonly HookType[] = ['pre-create', 'post-create', 'post-receive', 'post-terminate', 'post-finish']

/**
 * The events a `--hooks-enabled-events` value names: a comma-separated list, each entry trimmed (tusd
 * trims but then validates the untrimmed entry, so `pre-create, post-finish` fails there; not here). An
 * empty value enables tusd's seven, as tusd does (`pre-access` only when named: it runs on every request).
 * Throws RangeError naming an entry that is no event.
 */
export function parseEnabledHooks(value: string): HookType[] {
  if (value.trim() === '') return [...TUSD_HOOK_TYPES]
  const entries = value.split(',').map((entry) => entry.trim())
  const unknown = entries.find((entry) => !(HOOK_TYPES as readonly string[]).includes(entry))
  if (unknown !== undefined) throw new RangeError(`unknown hook event ${JSON.stringify(unknown)}; events: ${HOOK_TYPES.join(', ')}`)
  return [...new Set(entries as HookType[])]
}
