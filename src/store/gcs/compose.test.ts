import { CRC32C } from '@google-cloud/storage'
import { describe, expect, it } from 'vitest'
import { composeObjects, type ComposeCalls } from './compose.js'
import type { ObjectInfo } from './gcs-objects.js'

const NEVER = new AbortController().signal

function object(name: string, data: string): ObjectInfo & { data: string } {
  const crc = new CRC32C()
  crc.update(Buffer.from(data))
  return { name, size: Buffer.byteLength(data), generation: '1', crc32c: crc.toString(), updatedAt: 0, data }
}

/** Compose calls on a map of objects; `tamper` may change what a compose reports. */
function calls(objects: Map<string, ObjectInfo & { data: string }>, tamper: (composed: ObjectInfo, attempt: number) => ObjectInfo = (o) => o) {
  const log: string[] = []
  let attempts = 0
  const api: ComposeCalls = {
    async compose(sources, destination) {
      log.push(`compose ${sources.map((s) => s.name).join('+')} -> ${destination}`)
      const composed = object(destination, sources.map((s) => objects.get(s.name)?.data ?? '').join(''))
      objects.set(destination, composed)
      return tamper(composed, ++attempts)
    },
    async remove(name) {
      log.push(`remove ${name}`)
      return objects.delete(name)
    },
    async removeAll(names) {
      for (const name of names) await api.remove(name, NEVER)
    },
  }
  return { api, log }
}

describe('composeObjects', () => {
  it('composes up to 32 sources in one call, checked against their combined CRC32C', async () => {
    const objects = new Map(['a', 'b', 'c'].map((name) => [name, object(name, name.repeat(3))]))
    const { api, log } = calls(objects)
    const composed = await composeObjects(api, [...objects.values()], 'dest', () => 'tmp', {}, NEVER)
    expect(composed).toMatchObject({ name: 'dest', size: 9 })
    expect(log).toEqual(['compose a+b+c -> dest'])
  })

  it('composes 70 sources in three levels of temporary objects as tusd names them, and deletes those', async () => {
    const sources = Array.from({ length: 70 }, (_, i) => object(`s${i}`, `${i},`))
    const objects = new Map(sources.map((source) => [source.name, source]))
    const { api, log } = calls(objects)
    const composed = await composeObjects(api, sources, 'dest', (level, i) => `dest_tmp_${level}_${i}`, {}, NEVER)
    expect(objects.get('dest')?.data).toBe(sources.map((source) => source.data).join(''))
    expect(composed.size).toBe(sources.reduce((sum, source) => sum + source.size, 0))
    expect(log.filter((line) => line.startsWith('compose')).map((line) => line.split(' -> ')[1])).toEqual(['dest_tmp_0_0', 'dest_tmp_0_1', 'dest_tmp_0_2', 'dest'])
    expect(log.filter((line) => line.startsWith('remove'))).toEqual(['remove dest_tmp_0_0', 'remove dest_tmp_0_1', 'remove dest_tmp_0_2'])
  })

  it('tries a compose whose CRC32C does not match again, and takes the second that does', async () => {
    const objects = new Map(['a', 'b'].map((name) => [name, object(name, name)]))
    const { api, log } = calls(objects, (composed, attempt) => (attempt === 1 ? { ...composed, crc32c: 'AAAAAA==' } : composed))
    await composeObjects(api, [...objects.values()], 'dest', () => 'tmp', {}, NEVER)
    expect(log).toEqual(['compose a+b -> dest', 'compose a+b -> dest'])
  })

  it('after three mismatches (CRC32C or size) deletes the destination and throws', async () => {
    const objects = new Map(['a', 'b'].map((name) => [name, object(name, name)]))
    const { api, log } = calls(objects, (composed) => ({ ...composed, size: composed.size + 1 }))
    await expect(composeObjects(api, [...objects.values()], 'dest', () => 'tmp', {}, NEVER)).rejects.toThrow('does not match')
    expect(log).toEqual(['compose a+b -> dest', 'compose a+b -> dest', 'compose a+b -> dest', 'remove dest'])
    expect(objects.has('dest')).toBe(false)
  })

  it('refuses to compose nothing', async () => {
    await expect(composeObjects(calls(new Map()).api, [], 'dest', () => 'tmp', {}, NEVER)).rejects.toBeInstanceOf(RangeError)
  })
})
