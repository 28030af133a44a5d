import { expect, it } from 'vitest'

// The stores and the locker that need a client library have package entries of their own (package.json
// "exports"), each giving what the README says it gives.

it.each([
  ['resumable-gateway/s3', ['S3Store']],
  ['resumable-gateway/azure', ['AzureStore', 'UploadIdTaken']],
  ['resumable-gateway/gcs', ['GcsStore']],
  ['resumable-gateway/redis', ['RedisLocker']],
])('%s exports %j', async (entry, names) => {
  const exported = (await import(entry)) as Record<string, unknown>
  expect(Object.keys(exported).sort()).toEqual([...names].sort())
  for (const name of names) expect(typeof exported[name], name).toBe('function')
})

it('GcsStore from resumable-gateway/gcs checks its options before any call to GCS', async () => {
  const { GcsStore } = await import('resumable-gateway/gcs')
  await expect(GcsStore.connect({ bucket: 'uploads', objectPrefix: 'has_underscore' })).rejects.toThrow(/must not contain "_"/)
})
