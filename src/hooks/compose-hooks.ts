import type { CreateChanges, UploadHooks } from '../core/hooks.js'
import { mergeAnswers } from '../model/answer.js'

/**
 * Several sets of hooks as one (an application's callbacks and tusd's hooks, say), run in the order
 * given: the first refusal stops the request; pre-create's changes carry on to the next hook (which sees
 * the metadata and id chosen so far), later changes winning; answers are merged, later ones winning.
 * Undefined when no set has a hook.
 */
export function composeHooks(...sets: readonly (UploadHooks | undefined)[]): UploadHooks | undefined {
  const all = sets.filter((set): set is UploadHooks => set !== undefined)
  const having = <K extends keyof UploadHooks>(name: K): NonNullable<UploadHooks[K]>[] =>
    all.map((set) => set[name]?.bind(set)).filter((hook) => hook !== undefined) as NonNullable<UploadHooks[K]>[]
  const preAccess = having('preAccess')
  const preCreate = having('preCreate')
  const preFinish = having('preFinish')
  const preTerminate = having('preTerminate')
  if (preAccess.length + preCreate.length + preFinish.length + preTerminate.length === 0) return undefined
  if (all.length === 1) return all[0]
  return {
    ...(preAccess.length === 0 ? {} : { preAccess: async (event) => { for (const hook of preAccess) await hook(event) } }),
    ...(preCreate.length === 0
      ? {}
      : {
          preCreate: async (event) => {
            let upload = event.upload
            let changes: CreateChanges = {}
            for (const hook of preCreate) {
              const next = (await hook({ ...event, upload })) ?? {}
              upload = { ...upload, ...(next.id === undefined ? {} : { id: next.id }), ...(next.metadata === undefined ? {} : { metadata: next.metadata }) }
              changes = { ...changes, ...next, answer: mergeAnswers(changes.answer, next.answer) }
            }
            return changes
          },
        }),
    ...(preFinish.length === 0 ? {} : { preFinish: async (event) => answersOf(preFinish, (hook) => hook(event)) }),
    ...(preTerminate.length === 0 ? {} : { preTerminate: async (event) => answersOf(preTerminate, (hook) => hook(event)) }),
  }
}

async function answersOf<H>(hooks: readonly H[], call: (hook: H) => ReturnType<NonNullable<UploadHooks['preFinish']>>): ReturnType<NonNullable<UploadHooks['preFinish']>> {
  let answer
  for (const hook of hooks) answer = mergeAnswers(answer, (await call(hook)) ?? undefined)
  return answer
}
