// Imports built entry points in a fresh Node process and reports every side effect attempted at import
// time: timers, fetch, window access. Run by import.test.ts; prints one JSON line.
const seen = { timers: 0, fetches: 0, window: 0, intervals: 0, immediates: 0 }
const realSetTimeout = globalThis.setTimeout
globalThis.setTimeout = (...args) => {
  seen.timers++
  return realSetTimeout(...args)
}
globalThis.setInterval = () => {
  seen.intervals++
}
globalThis.setImmediate = () => {
  seen.immediates++
}
globalThis.fetch = () => {
  seen.fetches++
  return Promise.reject(new Error('no fetch at import'))
}
Object.defineProperty(globalThis, 'window', {
  configurable: true,
  get() {
    seen.window++
    return undefined
  },
})
const mode = process.argv[2]
const entries = process.argv.slice(3)
const loaded = []
for (const entry of entries) {
  const mod =
    mode === 'cjs' ? (await import('node:module')).createRequire(import.meta.url)(entry) : await import(entry)
  loaded.push(Object.keys(mod).length)
}
// Let anything queued run before reporting.
await new Promise((resolve) => realSetTimeout(resolve, 50))
process.stdout.write(JSON.stringify({ seen, loaded }) + '\n')
