// The demo page: Uppy (tus 1.0.0) or tus-js-client in draft mode (protocol "ietf-draft-05"), both against
// the gateway's upload collection. The query string may set `chunkSize` (bytes per request) for both.
import { Dashboard, Tus, Uppy } from './vendor/uppy.min.mjs'

const endpoint = new URL(document.querySelector('meta[name="upload-endpoint"]').content, location.href).href
const params = new URLSearchParams(location.search)
const chunkSize = Number(params.get('chunkSize')) || Infinity
document.getElementById('endpoint').textContent = endpoint

const uploads = document.querySelector('#uploads tbody')

/** Adds a finished upload to the list, with a link that downloads it. */
function listUpload(name, protocol, size, url) {
  const row = document.createElement('tr')
  row.dataset.protocol = protocol
  const link = document.createElement('a')
  link.href = url
  link.textContent = 'download'
  link.download = name
  for (const text of [name, protocol, formatSize(size)]) {
    const cell = document.createElement('td')
    cell.textContent = text
    row.append(cell)
  }
  const cell = document.createElement('td')
  cell.append(link)
  row.append(cell)
  uploads.append(row)
}

function formatSize(bytes) {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`
}

// tus 1.0.0 through Uppy's Dashboard: its own progress bars and pause/resume buttons.
const uppy = new Uppy({ autoProceed: false })
  .use(Dashboard, { inline: true, target: '#uppy', height: 330, showProgressDetails: true, proudlyDisplayPoweredByUppy: false })
  .use(Tus, { endpoint, chunkSize, retryDelays: [0, 500, 1000] })
uppy.on('upload-success', (file, response) => listUpload(file.name, 'tus', file.size, response.uploadURL))

// The IETF draft through tus-js-client: one row per file with a progress bar and a pause/resume button.
function startDraftUpload(file) {
  const item = document.createElement('li')
  item.className = 'draft-upload'
  const name = document.createElement('span')
  name.className = 'name'
  name.textContent = file.name
  const progress = document.createElement('progress')
  progress.max = file.size || 1
  progress.value = 0
  const percent = document.createElement('span')
  percent.className = 'percent'
  percent.textContent = '0%'
  const toggle = document.createElement('button')
  toggle.className = 'pause'
  toggle.textContent = 'Pause'
  item.append(name, progress, percent, toggle)
  document.getElementById('draft-uploads').append(item)

  const upload = new tus.Upload(file, {
    endpoint,
    protocol: 'ietf-draft-05',
    chunkSize,
    retryDelays: [0, 500, 1000],
    metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
    onProgress(sent, total) {
      progress.value = sent
      percent.textContent = `${Math.floor((sent / (total || 1)) * 100)}%`
    },
    onSuccess() {
      item.dataset.state = 'done'
      toggle.disabled = true
      toggle.textContent = 'Done'
      listUpload(file.name, 'ietf-draft', file.size, upload.url)
    },
    onError(error) {
      item.dataset.state = 'failed'
      percent.textContent = 'failed'
      console.error(error)
    },
  })
  let paused = false
  toggle.addEventListener('click', () => {
    paused = !paused
    toggle.textContent = paused ? 'Resume' : 'Pause'
    item.dataset.state = paused ? 'paused' : 'uploading'
    if (paused) upload.abort()
    else upload.start()
  })
  item.dataset.state = 'uploading'
  upload.start()
}

document.getElementById('draft-files').addEventListener('change', (event) => {
  for (const file of event.target.files) startDraftUpload(file)
  event.target.value = ''
})

for (const input of document.querySelectorAll('input[name="protocol"]')) {
  input.addEventListener('change', () => {
    const draft = input.value === 'draft' && input.checked
    document.getElementById('tus-panel').hidden = draft
    document.getElementById('draft-panel').hidden = !draft
  })
}
