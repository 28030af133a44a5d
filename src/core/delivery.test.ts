import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryLocker } from '../lock/memory-locker.js'
import { DeliveryFailed, NotSupported, ShuttingDown } from '../model/errors.js'
import { ShutdownRequested } from '../model/stop-reasons.js'
import { awaitsDelivery, isComplete, type Upload, type UploadTarget } from '../model/upload.js'
import { MemoryStore } from '../store/memory/memory-store.js'
import type { DeliveryResponse, UploadDelivery } from './delivery.js'
import { UploadEvents, type LifecycleEvent } from './events.js'
import { UploadService } from './service.js'

// Upstream mode in the core: an upload with a target is finished once its target has it; a delivery that
// fails keeps the upload awaiting delivery, and the next request that completes it delivers it again.

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

const context = { signal: new AbortController().signal }
const target: UploadTarget = { method: 'POST', uri: '/api/photos?album=1', headers: { 'content-type': 'image/png' }, scheme: 'http' }

/** A delivery port that records what it was sent, answering from a script (an error to throw, or a status). */
class FakeDelivery implements UploadDelivery {
  readonly sent: { upload: Upload; body: string }[] = []
  readonly answers: (number | Error)[] = []

  async deliver(upload: Upload, read: (signal: AbortSignal) => Promise<Readable>): Promise<DeliveryResponse> {
    const body = await text(await read(context.signal))
    this.sent.push({ upload, body })
    const answer = this.answers.shift() ?? 201
    if (answer instanceof Error) throw answer
    const stream = Readable.from([Buffer.from(`stored ${body.length} bytes`)])
    return { status: answer, headers: { 'content-type': 'text/plain' }, body: stream, attempts: 1, discard: () => stream.resume() }
  }
}

describe('delivery of uploads with a target', () => {
  let store: MemoryStore
  let delivery: FakeDelivery
  let service: UploadService
  let events: LifecycleEvent[]

  beforeEach(() => {
    store = new MemoryStore()
    delivery = new FakeDelivery()
    events = []
    const bus = new UploadEvents()
    bus.subscribe((event) => void events.push(event))
    service = new UploadService({ store, locker: new MemoryLocker(), events: bus, delivery, maxSize: 0, acquireLockTimeoutMs: 1000, networkTimeoutMs: 0 })
  })
  afterEach(() => service.close())

  const finishedEvents = () => events.filter((event) => event.type === 'finished')

  it('delivers the upload once the request that completes it is in, and hands that request the answer', async () => {
    const created = await service.create({ length: 11, metadata: {}, target, body: chunks('hello '), complete: false }, context)
    expect(created.delivered).toBeUndefined()
    expect(delivery.sent).toEqual([])
    const result = await service.append(created.upload.id, { offset: 6, body: chunks('world'), complete: true }, context)
    expect(delivery.sent.map((sent) => sent.body)).toEqual(['hello world'])
    expect(delivery.sent[0]?.upload.target).toEqual(target)
    expect(result.delivered?.status).toBe(201)
    expect(await text(result.delivered?.body as Readable)).toBe('stored 11 bytes')
    expect(result.upload).toMatchObject({ delivered: true, offset: 11 })
    expect(awaitsDelivery(result.upload)).toBe(false)
    expect(finishedEvents()).toMatchObject([{ delivery: { status: 201, attempts: 1 } }])
  })

  it('delivers a creation that carries everything, and an empty one complete at once', async () => {
    const whole = await service.create({ length: 3, metadata: {}, target, body: chunks('abc'), complete: true }, context)
    const empty = await service.create({ length: 0, metadata: {}, target, complete: true }, context)
    expect(delivery.sent.map((sent) => sent.body)).toEqual(['abc', ''])
    expect(whole.delivered?.status).toBe(201)
    expect(empty.delivered?.status).toBe(201)
    whole.delivered?.discard()
    empty.delivered?.discard()
  })

  it('keeps an upload whose delivery failed complete but awaiting delivery; the next completing request delivers it again', async () => {
    delivery.answers.push(new DeliveryFailed('unreachable', 3))
    const created = await service.create({ length: 5, metadata: {}, target, body: chunks('hello'), complete: false }, context)
    await expect(service.append(created.upload.id, { offset: 5, body: chunks(), complete: true }, context)).rejects.toBeInstanceOf(DeliveryFailed)
    const kept = await service.status(created.upload.id, context)
    expect(isComplete(kept)).toBe(true)
    expect(awaitsDelivery(kept)).toBe(true)
    expect(finishedEvents()).toEqual([])
    // A request that says "not complete" delivers nothing; one that completes it again does.
    await service.append(created.upload.id, { offset: 5, body: chunks(), complete: false }, context)
    expect(delivery.sent).toHaveLength(1)
    const retried = await service.append(created.upload.id, { offset: 5, body: chunks(), complete: true }, context)
    expect(retried.delivered?.status).toBe(201)
    retried.delivered?.discard()
    expect(delivery.sent.map((sent) => sent.body)).toEqual(['hello', 'hello'])
    expect(finishedEvents()).toHaveLength(1)
    // Delivered: no request delivers it again.
    await service.append(created.upload.id, { offset: 5, body: chunks(), complete: true }, context)
    await service.status(created.upload.id, context, { deliver: true })
    expect(delivery.sent).toHaveLength(2)
  })

  it('turns a delivery stopped by a shutdown into ShuttingDown with the offset; the upload still awaits delivery', async () => {
    delivery.answers.push(new ShutdownRequested())
    const creation = service.create({ length: 5, metadata: {}, target, body: chunks('hello'), complete: true }, context)
    await expect(creation).rejects.toBeInstanceOf(ShuttingDown)
    await expect(creation).rejects.toMatchObject({ offset: 5 })
    const kept = await service.peek(delivery.sent[0]?.upload.id ?? '')
    expect(kept).toMatchObject({ offset: 5 })
    expect(awaitsDelivery(kept as Upload)).toBe(true)
    expect(finishedEvents()).toEqual([])
  })

  it('delivers on an offset retrieval only when asked to (tus), discarding the answer', async () => {
    delivery.answers.push(new DeliveryFailed('timeout', 1))
    const created = await service.create({ length: 2, metadata: {}, target }, context)
    await expect(service.append(created.upload.id, { offset: 0, body: chunks('ab') }, context)).rejects.toBeInstanceOf(DeliveryFailed)
    expect(awaitsDelivery(await service.status(created.upload.id, context))).toBe(true)
    const delivered = await service.status(created.upload.id, context, { deliver: true })
    expect(delivered.delivered).toBe(true)
    expect(delivery.sent.map((sent) => sent.body)).toEqual(['ab', 'ab'])
  })

  it('delivers an upload a crash left complete but undelivered, when a request asks for it', async () => {
    const handle = await store.create({ id: 'crashed', length: 3, metadata: {}, target }, context.signal)
    await handle.append(chunks('xyz'), context.signal)
    await handle.finish(context.signal)
    const result = await service.append('crashed', { offset: 3, body: chunks(), complete: true }, context)
    expect(result.delivered?.status).toBe(201)
    result.delivered?.discard()
    expect(delivery.sent.map((sent) => sent.body)).toEqual(['xyz'])
  })

  it('refuses a creation with a target when no delivery port is there, before creating anything', async () => {
    const plain = new UploadService({ store, locker: new MemoryLocker(), maxSize: 0, acquireLockTimeoutMs: 1000, networkTimeoutMs: 0 })
    await expect(plain.create({ length: 1, metadata: {}, target }, context)).rejects.toBeInstanceOf(NotSupported)
    const ids: string[] = []
    for await (const id of store.list(context.signal)) ids.push(id)
    expect(ids).toEqual([])
    await plain.close()
  })
})
