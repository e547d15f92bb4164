import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'emulator/index': 'src/emulator/index.ts',
    'cli/index': 'src/cli/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: {
    entry: {
      index: 'src/index.ts',
      'testing/index': 'src/testing/index.ts',
      'emulator/index': 'src/emulator/index.ts',
    },
  },
  target: 'es2022',
  platform: 'neutral',
  splitting: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
  minify: false,
  // Never bundled: the Red5 SDK (optional peer, imported lazily) and Node-only media/CLI libraries.
  external: ['red5pro-webrtc-sdk', 'werift', 'commander', 'picocolors', '@noble/ed25519', /^node:/],
})
