/**
 * The few SDP facts WHIP/WHEP signalling needs: is a body an offer or an answer, and the trickle-ICE
 * fragments of RFC 8840 (`application/trickle-ice-sdpfrag`) that carry candidates in PATCH requests.
 *
 * Hand-written on purpose: SDP libraries (sdp-transform and the like) parse and rebuild whole session
 * descriptions, which is far more than these line scans and would ship to browsers; we never modify an
 * SDP, we only read a handful of attribute lines and write fragments of a fixed shape (and choose the
 * order of the media sections we offer).
 * @internal
 */

/** A local ICE candidate as an `icecandidate` event reports it (browser or werift). @internal */
export interface CandidateLike {
  /** `candidate:...` (the `a=` line without `a=`); an empty string marks the end of a generation. */
  readonly candidate: string
  readonly sdpMid?: string | null | undefined
  readonly sdpMLineIndex?: number | null | undefined
}

/** A candidate read from a trickle fragment. @internal */
export interface FragmentCandidate {
  /** `candidate:...` */
  readonly candidate: string
  /** The `a=mid` of the media section it came under, when the fragment named one. */
  readonly sdpMid?: string
  /** The index of its media section in the fragment. */
  readonly sdpMLineIndex: number
}

/** What a trickle fragment says. @internal */
export interface TrickleFragment {
  readonly iceUfrag?: string
  readonly icePwd?: string
  readonly candidates: readonly FragmentCandidate[]
  /** True when the fragment contains `a=end-of-candidates`. */
  readonly endOfCandidates: boolean
}

/**
 * `tracks` in the order their media sections should have: audio first, then video, the rest last, each
 * group in its given order. Chromium and Firefox capture the microphone first; Safari's getUserMedia
 * lists the camera first, and Red5's own SDK fixed a Safari publish failure caused by that order in
 * 10.6.0 ("gUM returns with video track listed before audio": media did not reach the server). Fixing
 * the order makes every engine's offer look the same (audio is the BUNDLE tag).
 * @internal
 */
export function inSectionOrder<T extends { readonly kind: string }>(tracks: readonly T[]): T[] {
  const rank = (track: T): number => (track.kind === 'audio' ? 0 : track.kind === 'video' ? 1 : 2)
  return [...tracks].sort((a, b) => rank(a) - rank(b))
}

const lines = (sdp: string): string[] => sdp.split(/\r?\n/).map((line) => line.trim())

/**
 * True when `sdp` is an offer. An offerer must say `a=setup:actpass` (RFC 8842 section 5.2) and an
 * answerer must pick `active` or `passive`, so this tells Red5's server offer from an RFC 9725 answer
 * even though both arrive as `application/sdp` in a 201.
 * @internal
 */
export function isSdpOffer(sdp: string): boolean {
  return lines(sdp).some((line) => line === 'a=setup:actpass')
}

/** True when `sdp` looks like a session description at all (starts with `v=0`). @internal */
export function looksLikeSdp(sdp: string): boolean {
  return /^v=0\s*$/m.test(sdp.split(/\r?\n/, 1)[0] ?? '')
}

/** The first value of attribute `name` (e.g. `ice-ufrag`) anywhere in `sdp`. @internal */
export function sdpAttribute(sdp: string, name: string): string | undefined {
  const prefix = `a=${name}:`
  const line = lines(sdp).find((l) => l.startsWith(prefix))
  return line?.slice(prefix.length)
}

/** The `a=mid` values of `sdp`, in media-section order (`undefined` where a section has none). @internal */
export function sdpMids(sdp: string): (string | undefined)[] {
  const mids: (string | undefined)[] = []
  for (const line of lines(sdp)) {
    if (line.startsWith('m=')) {
      mids.push(undefined)
    } else if (line.startsWith('a=mid:') && mids.length > 0) {
      mids[mids.length - 1] = line.slice('a=mid:'.length)
    }
  }
  return mids
}

/**
 * Builds an RFC 8840 fragment for a PATCH: the local ICE credentials, then one media section per
 * `mid` with its candidates, and `a=end-of-candidates` when gathering is complete. The `m=` line's
 * content is ignored by receivers (RFC 8840 section 9); `mid` is what matters.
 * Returns `undefined` when there is nothing to send.
 * @internal
 */
export function buildTrickleFragment(
  localSdp: string | undefined,
  candidates: readonly CandidateLike[],
  endOfCandidates: boolean,
): string | undefined {
  const real = candidates.filter((c) => c.candidate.trim() !== '')
  if (real.length === 0 && !endOfCandidates) {
    return undefined
  }
  const mids = localSdp === undefined ? [] : sdpMids(localSdp)
  const firstMid = mids.find((mid) => mid !== undefined) ?? '0'
  const midOf = (c: CandidateLike): string => {
    if (c.sdpMid !== undefined && c.sdpMid !== null && c.sdpMid !== '') {
      return c.sdpMid
    }
    if (typeof c.sdpMLineIndex === 'number') {
      return mids[c.sdpMLineIndex] ?? firstMid
    }
    return firstMid
  }
  const byMid = new Map<string, string[]>()
  for (const c of real) {
    const mid = midOf(c)
    const text = c.candidate.trim()
    const list = byMid.get(mid) ?? []
    list.push(text.startsWith('candidate:') ? text : `candidate:${text}`)
    byMid.set(mid, list)
  }
  if (byMid.size === 0) {
    byMid.set(firstMid, [])
  }
  const out: string[] = []
  const ufrag = localSdp === undefined ? undefined : sdpAttribute(localSdp, 'ice-ufrag')
  const pwd = localSdp === undefined ? undefined : sdpAttribute(localSdp, 'ice-pwd')
  if (ufrag !== undefined) {
    out.push(`a=ice-ufrag:${ufrag}`)
  }
  if (pwd !== undefined) {
    out.push(`a=ice-pwd:${pwd}`)
  }
  for (const [mid, list] of byMid) {
    out.push('m=audio 9 UDP/TLS/RTP/SAVPF 0', `a=mid:${mid}`)
    for (const candidate of list) {
      out.push(`a=${candidate}`)
    }
    if (endOfCandidates) {
      out.push('a=end-of-candidates')
    }
  }
  return `${out.join('\r\n')}\r\n`
}

/**
 * Reads an RFC 8840 fragment (also accepts a whole SDP, as the Red5 SDK sends one). Candidates before
 * any `m=` line belong to the first media section.
 * @internal
 */
export function parseTrickleFragment(fragment: string): TrickleFragment {
  const candidates: FragmentCandidate[] = []
  let iceUfrag: string | undefined
  let icePwd: string | undefined
  let endOfCandidates = false
  let index = -1
  let mid: string | undefined
  for (const line of lines(fragment)) {
    if (line.startsWith('m=')) {
      index += 1
      mid = undefined
    } else if (line.startsWith('a=mid:')) {
      mid = line.slice('a=mid:'.length)
    } else if (line.startsWith('a=ice-ufrag:') && iceUfrag === undefined) {
      iceUfrag = line.slice('a=ice-ufrag:'.length)
    } else if (line.startsWith('a=ice-pwd:') && icePwd === undefined) {
      icePwd = line.slice('a=ice-pwd:'.length)
    } else if (line === 'a=end-of-candidates') {
      endOfCandidates = true
    } else if (line.startsWith('a=candidate:')) {
      candidates.push({
        candidate: line.slice(2),
        sdpMLineIndex: Math.max(index, 0),
        ...(mid === undefined ? {} : { sdpMid: mid }),
      })
    }
  }
  // `a=mid` follows the `m=` line, so candidates met before it lack their mid: fill it in.
  const midsBySection = new Map<number, string>()
  index = -1
  for (const line of lines(fragment)) {
    if (line.startsWith('m=')) {
      index += 1
    } else if (line.startsWith('a=mid:')) {
      midsBySection.set(Math.max(index, 0), line.slice('a=mid:'.length))
    }
  }
  const filled = candidates.map((c) => {
    const sectionMid = c.sdpMid ?? midsBySection.get(c.sdpMLineIndex)
    return sectionMid === undefined ? c : { ...c, sdpMid: sectionMid }
  })
  return {
    candidates: filled,
    endOfCandidates,
    ...(iceUfrag === undefined ? {} : { iceUfrag }),
    ...(icePwd === undefined ? {} : { icePwd }),
  }
}
