// The same app for a developer who installed Red5's SDK: it hands driver 'auto' a loader, so the SDK lands
// in its own chunk and loads on the first session.
globalThis.__withRed5proSdk = () => import('red5pro-webrtc-sdk')
