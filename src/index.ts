export { createGateway, Gateway, type GatewayOptions } from './gateway.js'
export { UploadService, type ServiceOptions, type ServiceFeatures } from './core/service.js'
export type { AppendCommand, CreateCommand, ReadResult, RequestContext, WriteResult, CompletionCheck } from './core/commands.js'
export { UploadEvents, UPLOAD_EVENTS_CHANNEL, type LifecycleEvent, type LifecycleListener } from './core/events.js'
export type { UploadHooks, HookEvent, AccessEvent, AccessAction, CreateChanges } from './core/hooks.js'
export * from './model/errors.js'
export * from './model/stop-reasons.js'
export type { Answer } from './model/answer.js'
export type { RequestInfo } from './model/request-info.js'
export {
  awaitsDelivery,
  isComplete,
  type Upload,
  type UploadInit,
  type UploadConcat,
  type UploadDigests,
  type UploadTarget,
  type ByteRange,
  type Metadata,
} from './model/upload.js'
export type { UploadDelivery, DeliveryResponse, DeliverySummary } from './core/delivery.js'
export { type StatusOptions } from './core/service.js'
export type { Store, StoredUpload, StoreCapabilities, UploadChanges } from './store/store.js'
export { FileStore } from './store/file/file-store.js'
export type { Locker, Lock, AcquireOptions } from './lock/locker.js'
export { MemoryLocker } from './lock/memory-locker.js'
export { HttpHookBackend, type HttpHookOptions } from './hooks/http-backend.js'
export { FileHookBackend, type FileHookOptions } from './hooks/file-backend.js'
export { HookCallFailed, type HookBackend, type HookCall } from './hooks/hook-backend.js'
export { encodeHookRequest, type HookRequest, type FileInfo, type HttpRequestInfo } from './hooks/hook-request.js'
export { parseHookResponse, InvalidHookResponse, type HookResponse, type HttpResponseInfo } from './hooks/hook-response.js'
export { DEFAULT_ENABLED_HOOKS, HOOK_TYPES, TUSD_HOOK_TYPES, type HookType } from './hooks/hook-types.js'
export { composeHooks } from './hooks/compose-hooks.js'
export type { TusdHooksConfig } from './hooks/tusd-hooks.js'
export { GatewayMetrics } from './observe/metrics.js'
