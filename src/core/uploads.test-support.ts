import type { Upload } from '../model/upload.js'
import type { AppendCommand, CreateCommand, ReadResult, RequestContext } from './commands.js'
import type { UploadService } from './service.js'

/** The service as core unit tests use it: creations and appends resolve with the upload (not the whole result). */
export interface Uploads {
  readonly service: UploadService
  create(command: CreateCommand, context: RequestContext): Promise<Upload>
  append(id: string, command: AppendCommand, context: RequestContext): Promise<Upload>
  status(id: string, context: RequestContext): Promise<Upload>
  terminate(id: string, context: RequestContext): Promise<unknown>
  read: UploadService['read']
  close(): Promise<void>
  start(): Promise<void>
}

export function uploadsOf(service: UploadService): Uploads {
  return {
    service,
    create: async (command, context) => (await service.create(command, context)).upload,
    append: async (id, command, context) => (await service.append(id, command, context)).upload,
    status: (id, context) => service.status(id, context),
    terminate: (id, context) => service.terminate(id, context),
    read: (id, selectRange, context): Promise<ReadResult> => service.read(id, selectRange, context),
    close: () => service.close(),
    start: () => service.start(),
  }
}
