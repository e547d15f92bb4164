import { defineConfig } from 'vite'

export default defineConfig({
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: { input: { index: 'index.html', size: 'size.js' } },
  },
})
