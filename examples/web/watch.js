// Plays a stream, waiting for the broadcaster if it has not started yet. The browser console shows a
// "404 Not Found" per look while waiting: the Stream Manager's way of saying "not published yet".
import { createClient } from 'red5pro-bluegreen'

const params = new URLSearchParams(location.search)
const client = createClient({
  discovery: params.get('discovery') ?? 'http://127.0.0.1:8080/discovery.json',
})
const $ = (id) => document.getElementById(id)
let session

$('start').onclick = () => {
  const streamName = $('stream').value
  session = client.subscribe({ streamName, mediaElement: $('video'), waitForStream: true }).session
  $('start').disabled = true
  $('stop').disabled = false
  show(session.state)
  session.on('waiting', ({ delayMs }) => show(`waiting for "${streamName}" (next look in ${delayMs} ms)`))
  session.on('statechange', ({ to }) => show(to))
  session.on('migrated', ({ interruptionMs }) => show(`live (moved, ${interruptionMs} ms without media)`))
  session.on('failed', (error) => show(`failed: ${error.code} ${error.message}`))
}

$('stop').onclick = async () => {
  await session?.close()
  $('start').disabled = false
  $('stop').disabled = true
}

function show(text) {
  $('state').value = text
  $('environment').value = session.environment ? `on ${session.environment}` : ''
  window.example = { state: session.state, text, environment: session.environment }
}

if (params.has('autostart')) {
  $('start').click()
}
