// The whole integration: one client per app (a provider), one session per component (a hook).
// StrictMode-safe: React mounts effects twice in development; each mount makes and closes its own
// client or session, so nothing leaks and nothing is shared between the two runs.
import { createContext, useContext, useEffect, useRef, useState } from 'react'
import { createClient } from 'red5pro-bluegreen'

const ClientContext = createContext(undefined)

/** Makes the app's client; children render once it exists. `options` is read once. */
export function BlueGreenProvider({ options, children }) {
  const [client, setClient] = useState()
  const first = useRef(options)
  useEffect(() => {
    const made = createClient(first.current) // does nothing until a session or ready() needs it
    setClient(made)
    return () => void made.close()
  }, [])
  return client ? <ClientContext.Provider value={client}>{children}</ClientContext.Provider> : null
}

/**
 * Publishes (`kind: 'publish'`) or plays (`'subscribe'`) `streamName` for as long as the component is
 * mounted. Returns a ref for the <video> and `{ state, environment, waiting }` to render.
 */
export function useSession(kind, streamName, options = {}) {
  const client = useContext(ClientContext)
  const media = useRef(null)
  const [view, setView] = useState({ state: 'connecting', environment: '', waiting: false })
  const extra = useRef(options)
  useEffect(() => {
    const session = client[kind]({ streamName, mediaElement: media.current, ...extra.current }).session
    const update = (waiting = false) =>
      setView({ state: session.state, environment: session.environment, waiting })
    session.on('statechange', () => update())
    session.on('migrated', () => update())
    session.on('waiting', () => update(true))
    update()
    return () => void session.close() // at any moment: cancels start-up, waiting, retries
  }, [client, kind, streamName])
  return [media, view]
}
