/* global document, location, fetch, EventSource, navigator, URL, URLSearchParams, setInterval, setTimeout, clearInterval, AbortController, ResizeObserver, devicePixelRatio, performance */
/**
 * The demo page: one web app using red5pro-bluegreen the way a customer's would (imported by package
 * name, bundled by examples/demo/build.mjs), next to the emulator's operator controls.
 *
 * - Sessions: a broadcaster (the camera, or Chromium's fake device) and any number of viewers, each tile
 *   badged with the environment that carries it, that environment's role, and the session's state.
 * - The client's accepted manifest, and a QA selector that recreates the client with `environment`.
 * - Environments: state from the emulator (`GET /api/state`), operator buttons (`POST /api/*`): promote,
 *   drain, offline, serve, the backup (`failover` role) set or cleared, kill (a crash) or kill silently
 *   (a partition), revive.
 * - Each viewer's frames, stamped with requestVideoFrameCallback: its frame rate, how long the picture has
 *   been frozen, and the longest gap between two frames across each move.
 * - A timeline of client, session and emulator events (the client's failover to the backup and its
 *   return are `environmentchange` with `reason: 'failover'` / `'recovered'`) (`/api/events`, Server-Sent Events), and a chart of
 *   sessions per environment as the media nodes count them.
 *
 * Query parameters (for demos on a timer and for tests): `windowMs`, `leadMs`, `marginMs` (the client's
 * migration option), `stableMs` (the client's failover option: how long production must answer again
 * before it returns), `drain` (the default drain in seconds), `env` (`production` or `staging`).
 */
import { createClient } from 'red5pro-bluegreen'

const ENVIRONMENTS = ['green', 'blue']
const EMULATOR_EVENTS = [
  'start',
  'manifest',
  'promote',
  'rollback',
  'state',
  'role',
  'kill',
  'revive',
  'discovery',
  'deadline',
]
const CHART_SECONDS = 90

const params = new URLSearchParams(location.search)
function numberParam(name, fallback) {
  const value = Number(params.get(name))
  return params.has(name) && Number.isFinite(value) && value >= 0 ? value : fallback
}
const MIGRATION = {
  windowMs: numberParam('windowMs', 12_000),
  leadMs: numberParam('leadMs', 1_000),
  marginMs: numberParam('marginMs', 2_000),
}
/** How long production must answer again before the client leaves the backup (the client's `failover` option). */
const FAILOVER = { stableMs: numberParam('stableMs', 30_000) }
const DISCOVERY = new URL('/discovery.json', location.href).href

const $ = (selector, root = document) => root.querySelector(selector)
const el = (tag, className, text) => {
  const node = document.createElement(tag)
  if (className) {
    node.className = className
  }
  if (text !== undefined) {
    node.textContent = text
  }
  return node
}

// ---------------------------------------------------------------------------------------------- timeline

const timeline = $('#timeline')
function log(source, message, level = 'info', at = new Date()) {
  const item = el('li', level === 'info' ? '' : level)
  const time = el('time', '', at.toLocaleTimeString([], { hour12: false }))
  time.dateTime = at.toISOString()
  item.append(time, el('span', `src src-${source}`, source), el('span', 'msg', message))
  timeline.prepend(item)
  while (timeline.children.length > 300) {
    timeline.lastElementChild.remove()
  }
}

function errorText(error) {
  return error && typeof error === 'object' && 'code' in error
    ? `${error.code}: ${error.message}`
    : String(error?.message ?? error)
}

// ----------------------------------------------------------------------------------- emulator (operator)

let emulatorState
const samples = []

async function operate(action, body) {
  try {
    const response = await fetch(`/api/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const answer = await response.json().catch(() => ({}))
    if (!response.ok) {
      log('emulator', `${action} refused: ${answer.error ?? response.status}`, 'error')
      return
    }
    renderEnvironments(answer.state)
  } catch (error) {
    log('emulator', `${action} failed: ${errorText(error)}`, 'error')
  }
}

function drainSeconds() {
  const value = Number($('#drain').value)
  return Number.isFinite(value) && value >= 0 ? value : 20
}

async function pollState() {
  try {
    const response = await fetch('/api/state', { cache: 'no-store' })
    if (response.ok) {
      renderEnvironments(await response.json())
    }
  } catch {
    // the emulator is gone (Ctrl-C): the cards keep their last state
  }
}

function renderEnvironments(state) {
  emulatorState = state
  for (const name of ENVIRONMENTS) {
    const env = state.environments[name]
    const card = $(`#env-${name}`)
    if (!card.firstElementChild) {
      card.append($('#env-card').content.cloneNode(true))
      for (const button of card.querySelectorAll('button[data-op]')) {
        button.addEventListener('click', () => environmentAction(name, button.dataset.op))
      }
    }
    $('[data-name]', card).textContent = name
    const roles = $('[data-roles]', card)
    roles.replaceChildren(...env.roles.map((role) => el('span', `badge role-${role}`, role)))
    $('[data-api]', card).replaceChildren(
      env.api === 'sm1' ? 'Stream Manager 1.x' : 'Stream Manager 2.0',
      el('small', '', new URL(env.streamManager).host),
    )
    const stateCell = $('[data-state]', card)
    const alive = env.alive ? env.state : 'dead'
    const killed = env.killed === 'silent' ? 'killed silently' : 'killed'
    const deadline =
      env.state === 'draining' && env.drainDeadline
        ? ` · ${Math.max(0, Math.round((Date.parse(env.drainDeadline) - Date.now()) / 1000))} s left`
        : ''
    stateCell.replaceChildren(el('span', `badge state-${alive}`, env.alive ? env.state : killed), deadline)
    $('[data-sessions]', card).textContent = `${env.publishers} publishing · ${env.subscribers} playing`
    $('[data-streams]', card).textContent = env.streams.length ? env.streams.join(', ') : '—'
    card.classList.toggle('production', env.roles.includes('production'))
    card.classList.toggle('dead', !env.alive)
    const production = env.roles.includes('production')
    const button = (op) => $(`button[data-op="${op}"]`, card)
    button('promote').disabled = production || !env.alive
    button('drain').disabled = production || env.state === 'draining'
    button('offline').disabled = production || env.state === 'offline'
    button('serve').disabled = env.state === 'serving'
    button('kill').disabled = !env.alive && env.killed !== 'silent'
    button('kill-silent').disabled = !env.alive
    button('revive').disabled = env.alive
    const backup = state.manifest.roles.failover === name
    button('backup').textContent = backup ? 'Clear backup' : 'Make backup'
    button('backup').disabled = production && !backup
  }
  const backup = state.manifest.roles.failover
  $('#backup').textContent = backup ?? 'none'
  $('#backup').className = backup ? `pill env-${backup}` : 'pill'
  $('#rollback').disabled = state.revision <= 1
}

function environmentAction(name, op) {
  switch (op) {
    case 'promote':
      return operate('promote', { environment: name, drainSeconds: drainSeconds() })
    case 'drain':
      return operate('state', { environment: name, state: 'draining', drainSeconds: drainSeconds() })
    case 'offline':
      return operate('state', { environment: name, state: 'offline' })
    case 'serve':
      return operate('state', { environment: name, state: 'serving' })
    case 'backup': {
      const backup = emulatorState?.manifest.roles.failover === name
      return operate('role', { role: 'failover', environment: backup ? null : name })
    }
    case 'kill':
      return operate('kill', { environment: name, mode: 'reset' })
    case 'kill-silent':
      return operate('kill', { environment: name, mode: 'silent' })
    case 'revive':
      return operate('revive', { environment: name })
  }
  return undefined
}

function listenToEmulator() {
  const source = new EventSource('/api/events')
  const onEvent = (message) => {
    const event = JSON.parse(message.data)
    const level = event.type === 'kill' || event.type === 'deadline' ? 'warn' : 'info'
    log('emulator', event.message, level, new Date(event.at))
    void pollState()
  }
  for (const type of EMULATOR_EVENTS) {
    source.addEventListener(type, onEvent)
  }
}

// ------------------------------------------------------------------------------------ client + sessions

let client
let camera
let broadcaster
let viewerNumber = 0
const viewers = new Set()

function newClient(environment) {
  const created = createClient({
    discovery: DISCOVERY,
    environment,
    // Red5's SDK where it is bundled (driver 'auto' then uses it where it reaches the endpoint); a build
    // made with --no-red5pro-sdk leaves it out, this import fails, and whipDriver plays everything.
    red5proSdk: () => import('red5pro-webrtc-sdk'),
    migration: MIGRATION,
    failover: FAILOVER,
    reconnect: { initialDelayMs: 300, maxDelayMs: 3_000 },
  })
  created.on('manifest', ({ revision }) => {
    log('client', `accepted manifest revision ${revision}`)
    renderManifest()
    renderAllBadges()
  })
  created.on('environmentchange', ({ previous, current, reason }) => {
    log('client', environmentChange(previous, current, reason), reason === 'failover' ? 'warn' : 'info')
    renderClient()
    renderAllBadges()
  })
  created.on('stale', ({ error, revision }) =>
    log('client', `discovery unreachable (${error.code}); keeping revision ${revision}`, 'warn'),
  )
  created.on('error', (error) => log('client', errorText(error), 'error'))
  return created
}

/** A timeline line for the client's `environmentchange`, saying why (DESIGN 11 for failover). */
function environmentChange(previous, current, reason) {
  if (!previous) {
    return `using ${current.name} (${current.role ?? 'pinned'}, ${current.state})`
  }
  switch (reason) {
    case 'failover':
      return `failover: ${previous.name} is unreachable; sessions move to the backup ${current.name}`
    case 'recovered':
      return `recovered: ${current.name} answered again; sessions return from ${previous.name}, make-before-break`
    default:
      return `environment ${previous.name} (${previous.state}) → ${current.name} (${current.state}) (${reason})`
  }
}

function renderClient() {
  const pill = $('#client-env')
  const env = client?.environment
  pill.className = env ? `pill env-${env.name}` : 'pill'
  pill.textContent = env ? `${env.name} · ${env.role ?? 'pinned'} · r${env.revision}` : 'not ready'
}

function renderManifest() {
  const manifest = client?.manifest
  $('#manifest-rev').textContent = manifest ? `revision ${manifest.revision}` : '—'
  if (!manifest) {
    return
  }
  const escaped = JSON.stringify(manifest, null, 2)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
  $('#manifest').innerHTML = escaped
    .replace(/("[^"]*")(\s*:)/g, '<span class="k">$1</span>$2')
    .replace(/(:\s*)("[^"]*")/g, '$1<span class="s">$2</span>')
    .replace(/(:\s*)(\d+)/g, '$1<span class="n">$2</span>')
}

/** Badges of a tile: environment, its roles in the client's manifest, session state. */
function renderBadges(tile, session, state = session?.state ?? 'connecting') {
  const badges = $('[data-badges]', tile)
  const env = session?.environment
  const roles =
    env && client?.manifest
      ? Object.keys(client.manifest.roles).filter((r) => client.manifest.roles[r] === env)
      : []
  badges.replaceChildren(
    ...(env ? [el('span', `badge env-${env}`, env)] : []),
    ...roles.map((role) => el('span', `badge role-${role}`, role)),
    el('span', `badge state-${state}`, state),
  )
  tile.classList.toggle('on-green', env === 'green' && state !== 'closed')
  tile.classList.toggle('on-blue', env === 'blue' && state !== 'closed')
  tile.dataset.environment = env ?? ''
  tile.dataset.state = state
}

function renderAllBadges() {
  if (broadcaster) {
    renderBadges($('#publisher-tile'), broadcaster)
  }
  for (const viewer of viewers) {
    if (viewer.session) {
      renderBadges(viewer.tile, viewer.session)
    }
  }
}

/**
 * Watches the frames a <video> presents (requestVideoFrameCallback) and shows, over the picture, the
 * frame rate or how long it has been frozen. `longestGap(since)` is the longest time between two frames
 * since a moment (performance.now() timebase), counting the gap still open.
 */
function monitorFrames(video, tile) {
  const stamps = []
  const stat = el('span', 'tile-stat')
  tile.append(stat)
  const onFrame = (_now, metadata) => {
    stamps.push(metadata.presentationTime)
    while (stamps.length > 2 && stamps[1] < metadata.presentationTime - 30_000) {
      stamps.shift()
    }
    if (video.isConnected) {
      video.requestVideoFrameCallback(onFrame)
    }
  }
  video.requestVideoFrameCallback(onFrame)
  const timer = setInterval(() => {
    if (!video.isConnected) {
      clearInterval(timer)
      return
    }
    const now = performance.now()
    const last = stamps.at(-1)
    const frozen = last === undefined ? 0 : now - last
    if (frozen > 1000) {
      stat.textContent = `picture frozen ${(frozen / 1000).toFixed(1)} s`
      stat.className = 'tile-stat frozen'
    } else {
      stat.textContent = `${stamps.filter((t) => t > now - 1000).length} fps`
      stat.className = last === undefined ? 'tile-stat hidden' : 'tile-stat'
    }
  }, 250)
  return {
    longestGap(since) {
      let longest = 0
      for (let i = 1; i < stamps.length; i++) {
        if (stamps[i] >= since) {
          longest = Math.max(longest, stamps[i] - stamps[i - 1])
        }
      }
      const last = stamps.at(-1)
      return last === undefined ? longest : Math.max(longest, performance.now() - last)
    },
  }
}

/** Wires a session's events to its tile and the timeline. */
function watch(session, label, tile, frames) {
  const note = (text) => {
    const target = $('[data-note]', tile)
    if (target) {
      target.textContent = text
    }
  }
  let movingSince = performance.now()
  session.on('statechange', ({ from, to }) => {
    log('session', `${label}: ${from} → ${to}`, to === 'failed' ? 'error' : 'info')
    renderBadges(tile, session)
  })
  session.on('migrating', ({ from, to }) => {
    movingSince = performance.now()
    log('session', `${label}: moving ${from} → ${to}, make-before-break`)
    note(`moving ${from} → ${to}…`)
  })
  session.on('migrated', ({ from, to, interruptionMs }) => {
    log('session', `${label}: moved ${from} → ${to}, interruption ${interruptionMs} ms`)
    note(`moved ${from} → ${to} · ${interruptionMs} ms interruption`)
    renderBadges(tile, session)
    if (frames) {
      // What the viewer saw: the longest gap between two frames from the move's start until 1.5 s after.
      setTimeout(() => {
        const gap = Math.round(frames.longestGap(movingSince))
        note(`moved ${from} → ${to} · longest gap ${gap} ms`)
        log('session', `${label}: longest gap between frames across the move: ${gap} ms`)
      }, 1500)
    }
  })
  session.on('reconnecting', ({ attempt, delayMs, error }) => {
    log(
      'session',
      `${label}: reconnecting (attempt ${attempt} in ${delayMs} ms: ${errorText(error)})`,
      'warn',
    )
    note(`reconnecting, attempt ${attempt}`)
  })
  session.on('reconnected', ({ environment, downtimeMs }) => {
    log('session', `${label}: reconnected on ${environment} after ${downtimeMs} ms`)
    note(`reconnected on ${environment} · ${downtimeMs} ms down`)
    renderBadges(tile, session)
  })
  session.on('failed', (error) => {
    log('session', `${label}: failed: ${errorText(error)}`, 'error')
    note(errorText(error))
    renderBadges(tile, session, 'failed')
  })
  renderBadges(tile, session)
}

function streamName() {
  return $('#stream').value.trim() || 'stage-1'
}

async function goLive() {
  const button = $('#golive')
  const tile = $('#publisher-tile')
  if (broadcaster) {
    const session = broadcaster
    broadcaster = undefined
    await session.close()
    renderBadges(tile, session, 'closed')
    button.textContent = 'Go live'
    return
  }
  button.disabled = true
  tile.classList.remove('empty')
  renderBadges(tile, undefined, 'connecting')
  try {
    camera ??= await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true })
    const session = await client.publish({
      streamName: streamName(),
      mediaStream: camera,
      mediaElement: $('#preview'),
    })
    broadcaster = session
    log('session', `broadcaster: live on ${session.environment} as "${session.streamName}"`)
    $('[data-note]', tile).textContent = `publishing "${session.streamName}"`
    watch(session, 'broadcaster', tile)
    button.textContent = 'Stop broadcast'
  } catch (error) {
    log('session', `broadcaster: ${errorText(error)}`, 'error')
    renderBadges(tile, undefined, 'failed')
  } finally {
    button.disabled = false
  }
}

async function addViewer() {
  const number = ++viewerNumber
  const tile = $('#viewer-tile').content.firstElementChild.cloneNode(true)
  const label = `viewer ${number}`
  $('[data-title]', tile).textContent = `Viewer ${number}`
  const viewer = { tile, session: undefined, abort: new AbortController() }
  viewers.add(viewer)
  $('.close', tile).addEventListener('click', () => void closeViewer(viewer))
  $('#tiles').append(tile)
  renderBadges(tile, undefined, 'connecting')
  $('[data-note]', tile).textContent = 'waiting for the stream…'
  try {
    viewer.session = await client.subscribe({
      streamName: streamName(),
      mediaElement: $('video', tile),
      waitForStream: true,
      signal: viewer.abort.signal,
    })
    $('[data-note]', tile).textContent = ''
    log('session', `${label}: playing on ${viewer.session.environment}`)
    watch(viewer.session, label, tile, monitorFrames($('video', tile), tile))
  } catch (error) {
    if (viewers.has(viewer)) {
      log('session', `${label}: ${errorText(error)}`, 'error')
      renderBadges(tile, undefined, 'failed')
    }
  }
}

async function closeViewer(viewer) {
  viewers.delete(viewer)
  viewer.abort.abort()
  viewer.tile.remove()
  await viewer.session?.close()
}

/** QA selector: a new client with `environment`; the sessions that were open start again on it. */
async function switchEnvironment(environment) {
  const hadBroadcast = broadcaster !== undefined
  const viewerCount = viewers.size
  log('client', `recreating the client with environment: '${environment}'`)
  for (const viewer of [...viewers]) {
    await closeViewer(viewer)
  }
  if (broadcaster) {
    await goLive()
  }
  await client?.close()
  client = newClient(environment)
  renderClient()
  await start()
  if (hadBroadcast) {
    await goLive()
  }
  for (let i = 0; i < viewerCount; i++) {
    void addViewer()
  }
}

async function start() {
  try {
    await client.ready()
    renderClient()
    renderManifest()
  } catch (error) {
    log('client', `ready() failed: ${errorText(error)}`, 'error')
  }
}

// ------------------------------------------------------------------------------------------------- chart

const canvas = $('#chart')

function sample() {
  if (!emulatorState) {
    return
  }
  const now = Date.now()
  const point = { at: now }
  for (const name of ENVIRONMENTS) {
    const env = emulatorState.environments[name]
    point[name] = env.alive ? env.publishers + env.subscribers : 0
  }
  samples.push(point)
  while (samples.length && samples[0].at < now - CHART_SECONDS * 1000) {
    samples.shift()
  }
  drawChart()
}

function drawChart() {
  const ratio = devicePixelRatio || 1
  const width = canvas.clientWidth
  const height = canvas.clientHeight
  if (canvas.width !== Math.round(width * ratio)) {
    canvas.width = Math.round(width * ratio)
    canvas.height = Math.round(height * ratio)
  }
  const g = canvas.getContext('2d')
  g.setTransform(ratio, 0, 0, ratio, 0, 0)
  g.clearRect(0, 0, width, height)
  const pad = { left: 28, right: 8, top: 10, bottom: 20 }
  const plotW = width - pad.left - pad.right
  const plotH = height - pad.top - pad.bottom
  const max = Math.max(2, ...samples.flatMap((s) => ENVIRONMENTS.map((n) => s[n])))
  const now = Date.now()
  const x = (at) => pad.left + plotW * (1 - (now - at) / (CHART_SECONDS * 1000))
  const y = (value) => pad.top + plotH * (1 - value / max)

  g.font = '11px system-ui, sans-serif'
  g.fillStyle = '#64748b'
  g.strokeStyle = '#e2e8f0'
  g.lineWidth = 1
  for (let v = 0; v <= max; v += Math.max(1, Math.ceil(max / 4))) {
    g.beginPath()
    g.moveTo(pad.left, y(v))
    g.lineTo(width - pad.right, y(v))
    g.stroke()
    g.fillText(String(v), 6, y(v) + 4)
  }
  for (let s = 0; s <= CHART_SECONDS; s += 30) {
    g.fillText(s === 0 ? 'now' : `-${s}s`, x(now - s * 1000) - (s === 0 ? 22 : 12), height - 5)
  }
  const colors = { green: '#16a34a', blue: '#2563eb' }
  for (const name of ENVIRONMENTS) {
    if (samples.length === 0) {
      continue
    }
    g.beginPath()
    samples.forEach((s, i) => {
      if (i === 0) {
        g.moveTo(x(s.at), y(s[name]))
      } else {
        g.lineTo(x(s.at), y(samples[i - 1][name]))
        g.lineTo(x(s.at), y(s[name]))
      }
    })
    g.strokeStyle = colors[name]
    g.lineWidth = 2.5
    g.stroke()
    const last = samples.at(-1)
    g.fillStyle = colors[name]
    g.beginPath()
    g.arc(x(last.at), y(last[name]), 3.5, 0, Math.PI * 2)
    g.fill()
  }
}

// ------------------------------------------------------------------------------------------------- start

$('#drain').value = String(numberParam('drain', 20))
const initial = params.get('env') === 'staging' ? 'staging' : 'production'
$('#qa').value = initial
$('#qa').addEventListener('change', (event) => void switchEnvironment(event.target.value))
$('#golive').addEventListener('click', () => void goLive())
$('#add-viewer').addEventListener('click', () => void addViewer())
$('#rollback').addEventListener('click', () => void operate('rollback', { drainSeconds: drainSeconds() }))
new ResizeObserver(() => drawChart()).observe(canvas)

client = newClient(initial)
listenToEmulator()
await pollState()
setInterval(() => void pollState().then(sample), 1000)
await start()
document.body.dataset.ready = 'true'
