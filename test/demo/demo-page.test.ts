import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'

// The demo page in a real browser (Debian's chromium, driven by playwright-core): an upload with each
// protocol, paused and resumed, downloaded back and compared by sha256. The screenshot stays in
// test-artifacts/ (and is the README's picture).

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

describe('the demo page in headless Chromium', () => {
  let gateway: TestGateway
  let browser: BrowserContext
  let page: Page
  let profile: string
  let files: string
  let origin: string
  const tusFile = randomBytes(3 * 1024 * 1024 + 1)
  const draftFile = randomBytes(2 * 1024 * 1024 + 5)

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true)
    gateway = await startGateway({ demoPath: '/demo/', experimentalProtocol: true })
    origin = `http://127.0.0.1:${gateway.port}`
    profile = await mkdtemp(join(tmpdir(), 'rg-chromium-'))
    files = await mkdtemp(join(tmpdir(), 'rg-demo-files-'))
    await writeFile(join(files, 'holiday.bin'), tusFile)
    await writeFile(join(files, 'report.bin'), draftFile)
    // A fresh profile (playwright passes it as --user-data-dir); flags known to work on this project's
    // machines, whose network is closed but for loopback.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    })
    page = browser.pages()[0] ?? (await browser.newPage())
    // Small requests, and a slow network, so each upload can be paused halfway.
    await page.goto(`${origin}/demo/?chunkSize=262144`)
    const cdp = await browser.newCDPSession(page)
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await gateway?.close()
    await rm(profile, { recursive: true, force: true })
    await rm(files, { recursive: true, force: true })
  })

  /** The bytes behind a download link of the page, fetched as the browser would. */
  async function download(protocol: string): Promise<Buffer> {
    const href = await page.locator(`#uploads tr[data-protocol="${protocol}"] a`).getAttribute('href')
    expect(href).toMatch(new RegExp(`^${origin}/files/[0-9a-f]{32}$`))
    const response = await fetch(href as string)
    expect(response.status).toBe(200)
    return Buffer.from(await response.arrayBuffer())
  }

  it('serves the page with the collection it uploads to', async () => {
    expect(await page.title()).toBe('resumable-gateway demo')
    expect(await page.locator('#endpoint').textContent()).toBe(`${origin}/files/`)
  })

  it('uploads with Uppy (tus), paused and resumed; the download is byte-identical', async () => {
    await page.locator('#uppy input[type=file]').first().setInputFiles(join(files, 'holiday.bin'))
    await page.locator('.uppy-StatusBar-actionBtn--upload').click()
    // Pause once some bytes are in, then resume.
    await page.waitForFunction("parseFloat(document.querySelector('.uppy-StatusBar-progress')?.style.width ?? '0') > 5")
    await page.locator('button[title="Pause"], button[aria-label="Pause"]').first().click()
    await page.locator('button[title="Resume"], button[aria-label="Resume"]').first().waitFor()
    await page.locator('button[title="Resume"], button[aria-label="Resume"]').first().click()
    await page.locator('#uploads tr[data-protocol="tus"]').waitFor({ timeout: 30_000 })
    expect(sha256(await download('tus'))).toBe(sha256(tusFile))
  }, 60_000)

  it('uploads with tus-js-client in draft mode, paused and resumed; the download is byte-identical', async () => {
    await page.locator('input[name=protocol][value=draft]').check()
    await page.locator('#draft-files').setInputFiles(join(files, 'report.bin'))
    const row = page.locator('#draft-uploads li').first()
    await page.waitForFunction("Number(document.querySelector('#draft-uploads progress')?.value ?? 0) > 0")
    await row.locator('button').click()
    expect(await row.getAttribute('data-state')).toBe('paused')
    const pausedAt = Number(await row.locator('progress').evaluate((bar) => (bar as unknown as { value: number }).value))
    expect(pausedAt).toBeLessThan(draftFile.length)
    await row.locator('button').click()
    await page.locator('#uploads tr[data-protocol="ietf-draft"]').waitFor({ timeout: 30_000 })
    expect(await row.getAttribute('data-state')).toBe('done')
    expect(sha256(await download('ietf-draft'))).toBe(sha256(draftFile))
    await mkdir(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'demo-page.png'), fullPage: true })
    expect(existsSync(join(ARTIFACTS, 'demo-page.png'))).toBe(true)
  }, 60_000)
})
