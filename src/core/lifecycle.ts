import type { Upload } from './upload.js'

/** Something that happened to an upload, for logs, metrics and (later) hooks. */
export type LifecycleEvent =
  | { readonly type: 'created'; readonly upload: Upload }
  | { readonly type: 'received'; readonly upload: Upload; readonly bytes: number }
  | { readonly type: 'finished'; readonly upload: Upload }
  | { readonly type: 'interrupted'; readonly upload: Upload; readonly bytes: number; readonly reason: string }
  | { readonly type: 'terminated'; readonly id: string }
  /** An upload expired and was removed (tus `expiration`); `upload` is its last state, `offset` the bytes freed. */
  | { readonly type: 'expired'; readonly upload: Upload }

/** Receives lifecycle events; must not throw. */
export type LifecycleListener = (event: LifecycleEvent) => void
