import type { Logger } from 'pino'
import type { LifecycleListener } from '../core/events.js'

/** Logs upload lifecycle events (created, finished, interrupted, terminated, expired) as one line each. */
export function logLifecycle(logger: Logger): LifecycleListener {
  return (event) => {
    switch (event.type) {
      case 'created':
        logger.info({ event: 'created', uploadId: event.upload.id, length: event.upload.length }, 'upload created')
        break
      case 'finished':
        // A finished partial upload is only a part of a file (tus concatenation): `concat` tells it apart.
        logger.info(
          {
            event: 'finished',
            uploadId: event.upload.id,
            length: event.upload.length,
            concat: event.upload.concat?.kind,
            // Upstream mode: what the application answered the delivery (its body is not logged).
            deliveryStatus: event.delivery?.status,
            deliveryAttempts: event.delivery?.attempts,
          },
          event.delivery === undefined ? 'upload finished' : 'upload finished and delivered',
        )
        break
      case 'expired':
        // `bytes` is the space freed, for metrics.
        logger.info(
          { event: 'expired', uploadId: event.upload.id, bytes: event.upload.offset, length: event.upload.length },
          'expired upload removed',
        )
        break
      case 'interrupted':
        logger.info(
          { event: 'interrupted', uploadId: event.upload.id, offset: event.upload.offset, bytes: event.bytes, reason: event.reason },
          'upload interrupted',
        )
        break
      case 'terminated':
        logger.info({ event: 'terminated', uploadId: event.upload.id, offset: event.upload.offset }, 'upload terminated')
        break
      case 'progress':
        // Every progress interval of every streaming body: only for those who ask for it.
        if (logger.isLevelEnabled('trace')) logger.trace({ event: 'progress', uploadId: event.upload.id, offset: event.upload.offset }, 'upload progress')
        break
      case 'received':
        if (logger.isLevelEnabled('debug')) {
          logger.debug({ event: 'received', uploadId: event.upload.id, offset: event.upload.offset, bytes: event.bytes }, 'bytes received')
        }
        break
    }
  }
}
