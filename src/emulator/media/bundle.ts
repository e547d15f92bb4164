/**
 * BUNDLE (RFC 8843) as browsers write and expect it, where werift 0.24 differs: bundle-only sections in
 * what the node receives, and inactive sections in what it answers.
 *
 * Bundle-only sections (RFC 8843 section 6, JSEP's `bundlePolicy: 'max-bundle'`).
 *
 * Firefox honours `max-bundle` to the letter: every media section of its offer but the first carries
 * port 0 and `a=bundle-only` ("accept me only inside the BUNDLE group"), and RFC 8843 lets it leave the
 * transport attributes (ICE credentials, candidates, fingerprint) out of those sections. Chromium
 * (and Safari) send port 9 everywhere instead. werift 0.24 reads port 0 as "rejected" whatever the
 * `a=bundle-only` beside it says: it raises no `track` for the publisher's video, answers a WHEP
 * viewer's video section `m=video 0 ... a=inactive`, and the viewer sits `live` with sound and no
 * picture. A real Red5 Pro node accepts these sections (they are standard BUNDLE), so the emulator's
 * node does too: before werift reads a remote description, each bundle-only section inside a BUNDLE
 * group gets the discard port 9 and loses `a=bundle-only`. That is all werift needs: with its own
 * `max-bundle` it runs every section over the first section's transport.
 * @internal
 */
import * as sdpModule from 'sdp'

// `sdp` is CommonJS (`module.exports = SDPUtils`): bundlers and Vite expose its members on the namespace,
// Node's own ESM loader (tsx, `node --import`) only as `default`. Take whichever holds them.
const SDPUtils = (sdpModule as { default?: typeof sdpModule }).default ?? sdpModule

/** JSEP's placeholder port for a section whose transport is negotiated by ICE (RFC 8829 section 5.2.1). */
const DISCARD_PORT = 9

/** The mids of every `a=group:BUNDLE` line of the session part. */
function bundledMids(sessionPart: string): Set<string> {
  const mids = new Set<string>()
  for (const line of SDPUtils.matchPrefix(sessionPart, 'a=group:BUNDLE')) {
    for (const mid of line.slice('a=group:BUNDLE'.length).trim().split(/\s+/)) {
      if (mid !== '') {
        mids.add(mid)
      }
    }
  }
  return mids
}

/** True when `section` has port 0 and `a=bundle-only`, and its mid is in a BUNDLE group. */
function isBundleOnly(section: string, bundled: ReadonlySet<string>): boolean {
  return (
    SDPUtils.parseMLine(section).port === 0 &&
    SDPUtils.matchPrefix(section, 'a=bundle-only').length > 0 &&
    bundled.has(SDPUtils.getMid(section))
  )
}

/** True when `section` has port 0 and `a=inactive`, and its mid is in a BUNDLE group. */
function isBundledButZeroPort(section: string, bundled: ReadonlySet<string>): boolean {
  return (
    SDPUtils.parseMLine(section).port === 0 &&
    SDPUtils.matchPrefix(section, 'a=inactive').length > 0 &&
    bundled.has(SDPUtils.getMid(section))
  )
}

/** `section` with the discard port on its `m=` line and without `a=bundle-only`. */
function accepted(section: string): string {
  const [, ...rest] = SDPUtils.splitLines(section)
  const { kind, protocol, fmt } = SDPUtils.parseMLine(section)
  const mLine = `m=${kind} ${DISCARD_PORT} ${protocol} ${fmt}`.trimEnd()
  return `${[mLine, ...rest.filter((line) => line !== 'a=bundle-only')].join('\r\n')}\r\n`
}

/**
 * Returns `sdp` with every bundle-only media section (port 0, `a=bundle-only`, mid in a BUNDLE group)
 * turned into an ordinary bundled one (port 9), so that werift accepts it instead of treating it as
 * rejected. Sections with port 0 and no `a=bundle-only` stay rejected; anything else is unchanged.
 * @internal
 */
export function acceptBundleOnlySections(sdp: string): string {
  const [sessionPart = '', ...media] = SDPUtils.splitSections(sdp)
  const bundled = bundledMids(sessionPart)
  if (bundled.size === 0 || !media.some((section) => isBundleOnly(section, bundled))) {
    return sdp
  }
  return [
    sessionPart,
    ...media.map((section) => (isBundleOnly(section, bundled) ? accepted(section) : section)),
  ].join('')
}

/**
 * Returns werift's `answer` with every inactive media section that it left in the BUNDLE group given
 * the discard port 9 instead of port 0.
 *
 * werift 0.24 writes an inactive section (a kind the stream does not have: the microphone of a
 * camera-only broadcast) with port 0, which means "rejected" (RFC 3264 section 6), yet keeps its mid in
 * `a=group:BUNDLE`. When that section is the first of the offer's BUNDLE group (its tag: the audio a WHEP
 * client offers first), Chromium refuses the whole answer: "The m= section with mid='1' should be
 * rejected" (RFC 8843 section 7.3.3: once the tagged section is rejected, every other bundled section
 * must be). A browser answering the same offer writes the section inactive with port 9, in the group:
 * so does this.
 * @internal
 */
export function keepInactiveSectionsBundled(answer: string): string {
  const [sessionPart = '', ...media] = SDPUtils.splitSections(answer)
  const bundled = bundledMids(sessionPart)
  if (!media.some((section) => isBundledButZeroPort(section, bundled))) {
    return answer
  }
  return [
    sessionPart,
    ...media.map((section) => (isBundledButZeroPort(section, bundled) ? accepted(section) : section)),
  ].join('')
}
