// Two plain pages; Vite only resolves the `red5pro-bluegreen` import and serves them.
import { defineConfig } from 'vite'

export default defineConfig({
  build: { rollupOptions: { input: ['broadcast.html', 'watch.html'] } },
})
