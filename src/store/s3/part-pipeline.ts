import type { PartBuffer, PartBuffers } from './part-buffer.js'
import type { S3Bucket } from './s3-bucket.js'
import type { ListedPart } from './s3-multipart.js'
import type { Semaphore } from '../semaphore.js'

/** Where and how a `PartPipeline` uploads. */
export interface PipelineOptions {
  readonly bucket: S3Bucket
  readonly objectId: string
  readonly multipartId: string
  /** The number of the first part it uploads (the parts before it count already). */
  readonly firstNumber: number
  /** Bytes per part. */
  readonly partSize: number
  /** The highest part number S3 takes (10,000). */
  readonly maxParts: number
  /** Parts of this upload received but not yet uploaded (waiting or in flight) before `write` waits. */
  readonly maxBufferedParts: number
  /** Part uploads in flight across the store. */
  readonly slots: Semaphore
  readonly buffers: PartBuffers
  /** Stops the uploads in flight and those waiting for a slot. */
  readonly signal: AbortSignal
  /** Called after each part S3 confirmed (for interim commits). */
  readonly onUploaded?: () => void
}

/** Bytes past the part limit of one multipart upload. */
export class TooManyParts extends Error {
  constructor(readonly maxParts: number) {
    super(`the upload needs more than ${maxParts} parts, the most one S3 multipart upload can have`)
    this.name = 'TooManyParts'
  }
}

/**
 * Cuts the bytes of one append into parts of `partSize` and uploads each as soon as it is full, several
 * side by side (as many as the store's slots allow), while the next part is received into a new buffer.
 * `write` waits while `maxBufferedParts` parts are received but not uploaded, so a fast client is slowed
 * to what S3 takes and the buffers stay bounded. The bytes after the last full part stay in the buffer
 * being filled: the caller uploads them as a last part (`sealAsPart`) or keeps them as `.part` (`takeRest`).
 *
 * Once an upload fails, `write` throws its error: there is no point in reading on. `settle` waits for every
 * upload and says which parts arrived, in order, up to the first that did not.
 */
export class PartPipeline {
  readonly #options: PipelineOptions
  #current: PartBuffer | undefined
  #nextNumber: number
  readonly #tasks: Promise<void>[] = []
  readonly #uploaded = new Map<number, ListedPart>()
  #failure: { readonly error: unknown } | undefined
  /** Parts sealed whose upload has not ended. */
  #pending = 0
  #wake: (() => void) | undefined

  constructor(options: PipelineOptions) {
    this.#options = options
    this.#nextNumber = options.firstNumber
  }

  /** The error of the first upload that failed, if one did. */
  get failure(): { readonly error: unknown } | undefined {
    return this.#failure
  }

  /** Bytes in the buffer being filled (after the last sealed part). */
  get rest(): number {
    return this.#current?.size ?? 0
  }

  /**
   * Adds `chunk`: fills the current part, seals and uploads it once full, continues in a new one. Throws
   * the error of a failed upload, `TooManyParts`, or a buffer's file system error.
   */
  async write(chunk: Uint8Array): Promise<void> {
    this.#throwIfFailed()
    let rest = chunk
    while (rest.length > 0) {
      const buffer = (this.#current ??= await this.#options.buffers.create())
      const room = this.#options.partSize - buffer.size
      const piece = rest.length <= room ? rest : rest.subarray(0, room)
      await buffer.write(piece)
      rest = rest.subarray(piece.length)
      if (buffer.size >= this.#options.partSize) await this.#seal()
    }
  }

  /** Uploads the bytes of the buffer being filled as the next part, full or not (an upload's last part). */
  async sealAsPart(): Promise<void> {
    if (this.#current !== undefined && this.#current.size > 0) await this.#seal()
  }

  /** Hands over the buffer being filled (flushed), or undefined when it is empty; the caller disposes it. */
  async takeRest(): Promise<PartBuffer | undefined> {
    const buffer = this.#current
    this.#current = undefined
    if (buffer === undefined) return undefined
    if (buffer.size === 0) {
      await buffer.dispose()
      return undefined
    }
    await buffer.flush()
    return buffer
  }

  /**
   * Waits until every upload has ended, frees every buffer but a rest not taken, and resolves with the
   * parts uploaded in order from `firstNumber` up to the first that was not, and the first failure.
   */
  async settle(): Promise<{ parts: ListedPart[]; failure?: { readonly error: unknown } }> {
    await Promise.all(this.#tasks)
    return { parts: this.uploadedInOrder(), ...(this.#failure === undefined ? {} : { failure: this.#failure }) }
  }

  /** The parts S3 confirmed so far, in order from `firstNumber` up to the first not (yet) confirmed. */
  uploadedInOrder(): ListedPart[] {
    const parts: ListedPart[] = []
    for (let number = this.#options.firstNumber; this.#uploaded.has(number); number++) parts.push(this.#uploaded.get(number) as ListedPart)
    return parts
  }

  /** Frees the buffer being filled, if any (after a failure, when its bytes go nowhere). */
  async discardRest(): Promise<void> {
    const buffer = this.#current
    this.#current = undefined
    await buffer?.dispose()
  }

  async #seal(): Promise<void> {
    const buffer = this.#current
    if (buffer === undefined) return
    this.#current = undefined
    const number = this.#nextNumber++
    if (number > this.#options.maxParts) {
      await buffer.dispose()
      this.#failure ??= { error: new TooManyParts(this.#options.maxParts) }
      this.#throwIfFailed()
    }
    try {
      await buffer.flush()
    } catch (error) {
      await buffer.dispose()
      throw error
    }
    this.#pending++
    this.#tasks.push(this.#upload(number, buffer))
    while (this.#pending >= this.#options.maxBufferedParts && this.#failure === undefined) {
      await new Promise<void>((resolve) => (this.#wake = resolve))
    }
    this.#throwIfFailed()
  }

  async #upload(number: number, buffer: PartBuffer): Promise<void> {
    const { bucket, objectId, multipartId, slots, signal } = this.#options
    try {
      const release = await slots.acquire(signal)
      try {
        const source = buffer.source()
        const etag = await bucket.multipart.uploadPart(objectId, multipartId, number, source, signal)
        this.#uploaded.set(number, { number, size: source.size, etag, lastModified: Date.now() })
        this.#options.onUploaded?.()
      } finally {
        release()
      }
    } catch (error) {
      this.#failure ??= { error }
    } finally {
      this.#pending--
      await buffer.dispose().catch(() => undefined)
      const wake = this.#wake
      this.#wake = undefined
      wake?.()
    }
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error
  }
}
