import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'

import { App } from './App.jsx'
import { BlueGreenProvider } from './bluegreen.jsx'

const params = new URLSearchParams(location.search)
const discovery = params.get('discovery') ?? 'http://127.0.0.1:8080/discovery.json'

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <BlueGreenProvider options={{ discovery }}>
      <App stream={params.get('stream') ?? 'stream1'} />
    </BlueGreenProvider>
  </StrictMode>,
)
