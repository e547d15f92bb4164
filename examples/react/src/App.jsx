import { useState } from 'react'

import { useSession } from './bluegreen.jsx'

function Broadcaster({ stream }) {
  const [video, { state, environment }] = useSession('publish', stream)
  return (
    <section data-testid="broadcaster" data-state={state} data-environment={environment}>
      <h2>
        Broadcasting {stream}: {state} {environment && `on ${environment}`}
      </h2>
      <video ref={video} autoPlay muted playsInline width={320} />
    </section>
  )
}

function Viewer({ stream }) {
  const [video, { state, environment, waiting }] = useSession('subscribe', stream, { waitForStream: true })
  return (
    <section data-testid="viewer" data-state={state} data-environment={environment}>
      <h2>
        Watching {stream}: {waiting && state === 'connecting' ? 'waiting for the broadcaster' : state}{' '}
        {environment && `on ${environment}`}
      </h2>
      <video ref={video} autoPlay muted playsInline width={320} />
    </section>
  )
}

export function App({ stream }) {
  const [broadcasting, setBroadcasting] = useState(false)
  const [watching, setWatching] = useState(true)
  return (
    <main>
      <button onClick={() => setBroadcasting(!broadcasting)}>
        {broadcasting ? 'Stop broadcasting' : 'Broadcast'}
      </button>
      <button onClick={() => setWatching(!watching)}>{watching ? 'Stop watching' : 'Watch'}</button>
      {broadcasting && <Broadcaster stream={stream} />}
      {watching && <Viewer stream={stream} />}
    </main>
  )
}
