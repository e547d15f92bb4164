import { defineConfig } from 'tsup'

export default defineConfig([
  {
    // The package: browser + Node core, test helpers, the emulator.
    entry: {
      index: 'src/index.ts',
      'testing/index': 'src/testing/index.ts',
      'emulator/index': 'src/emulator/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: {
      entry: {
        index: 'src/index.ts',
        'testing/index': 'src/testing/index.ts',
        'emulator/index': 'src/emulator/index.ts',
      },
      // Declarations tagged `@internal` stay out of the published .d.ts (test/package/internal.test.ts). A
      // tag in a file's header comment marks that file's first statement too: keep such headers tag-free.
      compilerOptions: { stripInternal: true },
    },
    target: 'es2022',
    platform: 'neutral',
    splitting: true,
    sourcemap: true,
    // dist/cli/ is the other build's (below): both run at once.
    clean: ['**/*', '!cli', '!cli/**'],
    treeshake: true,
    minify: false,
    // Never bundled: the Red5 SDK (optional peer, imported lazily) and werift (optional peer: only the
    // emulator and the CLI's dev/probe load it); the rest are dependencies.
    external: ['red5pro-webrtc-sdk', 'werift', '@noble/ed25519', /^node:/],
  },
  {
    // The CLI (bin): its own bundle with commander and picocolors inside, so a browser app's install
    // carries neither. Node only.
    entry: { index: 'src/cli/index.ts' },
    outDir: 'dist/cli',
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    splitting: true,
    sourcemap: true,
    clean: true,
    treeshake: true,
    minify: false,
    external: ['red5pro-webrtc-sdk', 'werift', '@noble/ed25519', /^node:/],
    noExternal: ['commander', 'picocolors'],
    // commander is CommonJS and requires Node built-ins: give the ES module a `require`.
    banner: {
      js: "import { createRequire as __bgCreateRequire } from 'node:module'; const require = __bgCreateRequire(import.meta.url);",
    },
  },
])
