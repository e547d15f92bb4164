// Budgets of what a browser app downloads for `import { createClient } from 'red5pro-bluegreen'`
// (minified, dependencies included, the Red5 SDK excluded).
//
// "Up front" is the entry plus every chunk it imports statically: dynamic import() targets are left out
// because they load on first use (discovery on the first ready(), Stream Manager clients on the first
// resolve(), signature checks on the first signed manifest, sessions and drivers on the first session).
// "After ready()" adds the chunks every real app loads next, so moving code behind import() cannot hide
// growth.
const lazyExternal = {
  name: 'lazy-chunks-external',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
    )
  },
}
const upFront = (config) => {
  config.plugins = [...(config.plugins ?? []), lazyExternal]
  return config
}

module.exports = [
  {
    name: 'up front: core entry (brotli, issue budget)',
    path: 'dist/index.js',
    import: '{ createClient }',
    limit: '10 kB',
    brotli: true,
    ignore: ['red5pro-webrtc-sdk'],
    modifyEsbuildConfig: upFront,
  },
  {
    name: 'up front: core entry (gzip, DESIGN budget)',
    path: 'dist/index.js',
    import: '{ createClient }',
    limit: '12 kB',
    gzip: true,
    brotli: false,
    ignore: ['red5pro-webrtc-sdk'],
    modifyEsbuildConfig: upFront,
  },
  {
    // Added to "up front" by the first ready() and resolve(). size-limit bundles each path on its own, so
    // chunks the two share count twice: an upper bound.
    name: 'loaded by ready() and resolve(): discovery + Stream Manager clients (gzip, upper bound)',
    path: ['dist/loadManifest-*.js', 'dist/streammanager-*.js'],
    limit: '26 kB',
    gzip: true,
    brotli: false,
    ignore: ['red5pro-webrtc-sdk'],
    modifyEsbuildConfig: upFront,
  },
]
