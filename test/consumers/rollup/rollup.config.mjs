import commonjs from '@rollup/plugin-commonjs'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'

export default {
  input: { main: 'main.js', size: 'size.js' },
  output: { dir: 'dist', format: 'es' },
  plugins: [nodeResolve({ browser: true }), commonjs(), terser()],
  onwarn(warning) {
    // Every warning fails the build: the consumer test checks that users get none to act on.
    throw new Error(`rollup warning: ${warning.message}`)
  },
}
