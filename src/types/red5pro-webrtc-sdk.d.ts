/**
 * `red5pro-webrtc-sdk` as this package's own code sees it: an untyped module. 11-14 ship no types and
 * 15's `index.d.ts` imports paths its package does not ship, so the driver reads whatever module it gets
 * through the structural types of `session/drivers/red5pro/sdk.ts` (checked at run time by
 * `findRed5proSdk`). Only the driver and `driver: 'auto'` import it, lazily; the public API never names
 * this module, so consumers need none of this.
 */
declare module 'red5pro-webrtc-sdk' {
  const sdk: unknown
  export default sdk
}
