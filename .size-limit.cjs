// What a browser app loads up front for `import { createClient } from 'red5pro-bluegreen'`: the entry plus
// every chunk it imports statically, minified, dependencies included; lazily imported chunks (sessions,
// drivers, signature checks, Stream Manager clients) and the Red5 SDK are excluded.
module.exports = [
  {
    name: 'core entry, brotli (issue budget)',
    path: 'dist/index.js',
    import: '{ createClient }',
    limit: '10 kB',
    brotli: true,
    ignore: ['red5pro-webrtc-sdk'],
  },
  {
    name: 'core entry, gzip (DESIGN budget)',
    path: 'dist/index.js',
    import: '{ createClient }',
    limit: '12 kB',
    gzip: true,
    brotli: false,
    ignore: ['red5pro-webrtc-sdk'],
  },
]
