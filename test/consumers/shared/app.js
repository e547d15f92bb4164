// The consumer app every bundler builds: what a web developer writes after `npm install red5pro-bluegreen`.
// Loaded in Chromium against the emulator, it publishes the fake camera with driver 'auto' and reports how
// it went on window.__consumer (no Red5 SDK is installed in the plain build, so 'auto' uses whipDriver).
import { createClient, isBlueGreenError } from 'red5pro-bluegreen'

const report = (value) => {
  window.__consumer = value
}

export async function start() {
  const discovery = new URLSearchParams(window.location.search).get('discovery')
  if (!discovery) {
    report({ state: 'idle' })
    return
  }
  const logs = []
  const client = createClient({
    discovery,
    ...(globalThis.__withRed5proSdk ? { red5proSdk: globalThis.__withRed5proSdk } : {}),
    logger: { info: (message) => logs.push(message), warn: (message) => logs.push(message) },
  })
  try {
    const environment = await client.ready()
    const mediaStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true })
    const session = await client.publish({ streamName: 'consumer', mediaStream })
    report({ state: session.state, environment: environment.name, logs })
  } catch (error) {
    report({
      state: 'error',
      code: isBlueGreenError(error) ? error.code : undefined,
      message: String(error),
      logs,
    })
  }
}
