import { BlobServiceClient, newPipeline, type RequestPolicyFactory, type StoragePipelineOptions } from '@azure/storage-blob'
import { beforeWrite } from '../../model/write-checks.js'

/** Runs the checks before writes (see `beforeWrite`) before each call the client sends. */
const checkBeforeSend: RequestPolicyFactory = {
  create: (next) => ({
    sendRequest: (request) => {
      beforeWrite()
      return next.sendRequest(request)
    },
  }),
}

/**
 * A client like `service` (its URL and credential, `options` for the rest) whose pipeline runs `checkBeforeSend`
 * and `policies`. A connection string's client is built by the SDK: it is made again here, from what it parsed.
 */
export function withWriteChecks(service: BlobServiceClient, options: StoragePipelineOptions, ...policies: RequestPolicyFactory[]): BlobServiceClient {
  const pipeline = newPipeline(service.credential, options)
  pipeline.factories.push(checkBeforeSend, ...policies)
  return new BlobServiceClient(service.url, pipeline)
}
