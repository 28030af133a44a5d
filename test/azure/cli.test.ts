import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob'
import { afterEach, expect, it } from 'vitest'
import { runCli, spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { createUpload, idOf, patch, send } from '../resilience/tus-http.js'
import { describeWithServer } from '../servers/availability.js'
import { azurite } from '../servers/azurite.js'
import { containerName } from './azure-support.js'

// The Azure store as a user starts it: `node dist/cli/main.js` with tusd's flags and environment variables.

describeWithServer('resumable-gateway --azure-* against Azurite', azurite, (server) => {
  const gateways: GatewayProcess[] = []
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()))
  })

  const accountEnv = (): Record<string, string> => ({ AZURE_STORAGE_ACCOUNT: server().accountName, AZURE_STORAGE_KEY: server().accountKey })
  const containerOf = (name: string): ContainerClient => BlobServiceClient.fromConnectionString(server().connectionString).getContainerClient(name)

  it("creates the container with tusd's flags and stores uploads in its layout, committed with the access tier", async () => {
    const name = containerName()
    const gateway = await spawnGateway(
      [
        '--log-level',
        'silent',
        '--azure-storage',
        name,
        '--azure-endpoint',
        server().blobEndpoint,
        '--azure-object-prefix',
        'tus',
        '--azure-blob-access-tier',
        'cool',
        '--azure-container-access-type',
        'container',
      ],
      { env: accountEnv() },
    )
    gateways.push(gateway)
    const container = containerOf(name)
    expect((await container.getAccessPolicy()).blobPublicAccess).toBe('container')
    const url = await createUpload(gateway.url, 11, { 'upload-metadata': 'filename aGVsbG8udHh0' })
    const id = idOf(url)
    expect((await patch(url, 0, Buffer.from('hello world'))).status).toBe(204)
    const properties = await container.getBlockBlobClient(`tus/${id}`).getProperties()
    expect({ size: properties.contentLength, tier: properties.accessTier }).toEqual({ size: 11, tier: 'Cool' })
    const info = JSON.parse((await container.getBlockBlobClient(`tus/${id}.info`).downloadToBuffer()).toString('utf8')) as Record<string, unknown>
    expect(info).toMatchObject({ ID: id, Size: 11, MetaData: { filename: 'hello.txt' }, Storage: { Container: name, Key: `tus/${id}`, Type: 'azurestore' } })
    const download = await send('GET', url)
    expect([download.status, download.body]).toEqual([200, 'hello world'])
    await container.delete()
  })

  it('takes the container from RESUMABLE_GATEWAY_AZURE_CONTAINER and the account from AZURE_STORAGE_CONNECTION_STRING', async () => {
    const name = containerName()
    const gateway = await spawnGateway(['--log-level', 'silent'], {
      env: { RESUMABLE_GATEWAY_AZURE_CONTAINER: name, AZURE_STORAGE_CONNECTION_STRING: server().connectionString },
    })
    gateways.push(gateway)
    const url = await createUpload(gateway.url, 3)
    const names: string[] = []
    for await (const blob of containerOf(name).listBlobsFlat()) names.push(blob.name)
    expect(names).toEqual([`${idOf(url)}.info`])
    await containerOf(name).delete()
  })

  it('exits 1 naming what is missing or out of reach, before listening', async () => {
    const noCredentials = await runCli(['--azure-container', 'uploads'], { AZURE_STORAGE_ACCOUNT: '', AZURE_STORAGE_CONNECTION_STRING: '' })
    expect(noCredentials.code).toBe(1)
    expect(noCredentials.stderr).toContain('AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY')
    // A port nothing listens on: the SDK's retries give up in a few seconds.
    const unreachable = await runCli(['--azure-container', 'uploads', '--azure-endpoint', 'http://127.0.0.1:9/devstoreaccount1'], accountEnv(), 30_000)
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toMatch(/cannot open the Azure container uploads: .*ECONNREFUSED/)
    expect(unreachable.stdout).toBe('')
  })
})
