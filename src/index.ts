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
export { MemoryLocker, type MemoryLockerOptions } from './lock/memory-locker.js'
export { RAPID_RESET_CHANNEL, RAPID_RESET_LIMIT, type RapidResetReport } from './transport/http2-reset-guard.js'
