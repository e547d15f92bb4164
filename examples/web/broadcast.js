// Publishes the camera. The session is there from the click (`.session`): its state shows at once, and
// "Stop" works while it is still connecting.
import { createClient } from 'red5pro-bluegreen'

const params = new URLSearchParams(location.search)
const client = createClient({
  discovery: params.get('discovery') ?? 'http://127.0.0.1:8080/discovery.json',
})
const $ = (id) => document.getElementById(id)
let session

$('start').onclick = async () => {
  const camera = await navigator.mediaDevices.getUserMedia({ video: true, audio: true })
  session = client.publish({
    streamName: $('stream').value,
    mediaStream: camera,
    mediaElement: $('preview'),
  }).session
  $('start').disabled = true
  $('stop').disabled = false
  show()
  session.on('statechange', show)
  session.on('migrated', show)
  session.on('failed', (error) => ($('state').value = `failed: ${error.code} ${error.message}`))
  session.on('closed', () => camera.getTracks().forEach((track) => track.stop()))
}

$('stop').onclick = async () => {
  await session?.close()
  $('start').disabled = false
  $('stop').disabled = true
}

function show() {
  $('state').value = session.state
  $('environment').value = session.environment ? `on ${session.environment}` : ''
  window.example = { state: session.state, environment: session.environment }
}

if (params.has('autostart')) {
  $('start').click()
}
