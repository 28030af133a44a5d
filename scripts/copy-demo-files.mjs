// After tsc: puts the demo page's own files (src/demo/public/) and the browser builds it loads (from the
// installed uppy and tus-js-client packages) beside the built module, so an installed gateway serves the page
// without those packages and without a build step of its own.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const { DEMO_VENDOR_FILES } = await import(join(root, 'dist/demo/demo-page.js'))

const publicDir = join(root, 'dist/demo/public')
mkdirSync(publicDir, { recursive: true })
for (const name of readdirSync(join(root, 'src/demo/public'))) copyFileSync(join(root, 'src/demo/public', name), join(publicDir, name))

const vendorDir = join(root, 'dist/demo/vendor')
mkdirSync(vendorDir, { recursive: true })
for (const [name, modulePath] of Object.entries(DEMO_VENDOR_FILES)) copyFileSync(require.resolve(modulePath), join(vendorDir, name))
