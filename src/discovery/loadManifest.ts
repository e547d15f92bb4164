/**
 * Fetching and accepting discovery manifests: mirrors tried in order, conditional requests so an
 * unchanged manifest costs a 304, and the acceptance pipeline (content type, JSON, signature, schema,
 * rollback) that every body goes through before it can change what a client does.
 */
import type { KyInstance } from 'ky'

import type { Environment, KeyValueStorage } from '../environment'
import { BlueGreenError, isBlueGreenError } from '../errors'
import { getLimited, isJsonMediaType, mediaType } from '../internal/http'
import type { Manifest } from '../types'
import type { EnvelopeVerifier } from './dsse'
import { isEnvelope } from './envelope'
import { MAX_MANIFEST_BYTES, UNSIGNED_FLOOR_MS } from './limits'
import { validateManifest, type ManifestRules } from './manifest'

/** What one successful round produced. @internal */
export type LoadResult =
  | {
      readonly kind: 'accepted'
      readonly manifest: Manifest
      readonly digest: string
      readonly url: string
      readonly signedBy: string[]
    }
  | { readonly kind: 'not-modified'; readonly url: string }

/**
 * The persisted rollback record. `signed` and `at` bound what a forged answer can do to a client without
 * `trustedKeys` (docs/security.md, "A forged huge revision"): a revision from an unsigned manifest is a
 * floor only until {@link UNSIGNED_FLOOR_MS} after a server last confirmed it (`at`); a revision from a
 * signed manifest is a floor for good. A record without them (older versions) counts as unsigned and
 * unconfirmed, so it binds nothing.
 * @internal
 */
export interface RevisionRecord {
  readonly revision: number
  readonly digest: string
  /** True when the manifest was a verified envelope. */
  readonly signed?: boolean
  /** When a server last served (or confirmed with a 304) this revision, in clock milliseconds. */
  readonly at?: number
}

/** True while `record` still binds: signed, or confirmed within {@link UNSIGNED_FLOOR_MS} of `now`. @internal */
export function recordBinds(record: RevisionRecord, now: number): boolean {
  if (record.signed === true) {
    return true
  }
  return record.at !== undefined && Math.abs(now - record.at) < UNSIGNED_FLOOR_MS
}

/** Settings of a {@link ManifestLoader}. @internal */
export interface LoaderSettings {
  readonly urls: readonly string[]
  readonly rules: Omit<ManifestRules, 'now' | 'source'>
  readonly timeoutMs: number
  /** Loads the verifier lazily; undefined when no trusted keys are configured. */
  readonly verifier: (() => Promise<EnvelopeVerifier>) | undefined
  readonly storageKey: string
}

interface Validators {
  etag?: string
  lastModified?: string
  /** Digest of the body these validators describe. */
  digest: string
}

/** The error for a manifest over {@link MAX_MANIFEST_BYTES}. @internal */
export function tooLarge(url: string, bytes: number): BlueGreenError {
  return new BlueGreenError(
    'MANIFEST_TOO_LARGE',
    `The discovery manifest at ${url} is larger than ${MAX_MANIFEST_BYTES} bytes (${bytes} read); refusing it. Keep the manifest small: it only names environments.`,
    { url },
  )
}

/** The error for a manifest URL that redirected to another origin. @internal */
export function crossOrigin(url: string, finalUrl: string): BlueGreenError {
  return new BlueGreenError(
    'HOST_NOT_ALLOWED',
    `The discovery URL ${url} redirected to ${finalUrl}, another origin; refusing a manifest from there. Point discovery at the final URL if it is yours.`,
    { url },
  )
}

/** SHA-256 hex of `bytes`: WebCrypto where available, else the audited noble implementation. @internal */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle
  let digest: Uint8Array
  if (subtle) {
    digest = new Uint8Array(await subtle.digest('SHA-256', bytes as BufferSource))
  } else {
    // Insecure browser contexts have no crypto.subtle; @noble/ed25519 ships no SHA-256, so we fail
    // loudly rather than hand-roll one.
    throw new BlueGreenError(
      'DISCOVERY_UNAVAILABLE',
      'WebCrypto (crypto.subtle) is unavailable, so manifests cannot be checked. Serve the page over https or from localhost.',
    )
  }
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Reads the rollback record; an unreadable value counts as none. @internal */
export function readRecord(storage: KeyValueStorage, key: string): RevisionRecord | undefined {
  try {
    const raw = storage.getItem(key)
    if (raw === null) {
      return undefined
    }
    const parsed = JSON.parse(raw) as Partial<RevisionRecord>
    if (
      typeof parsed.revision === 'number' &&
      Number.isSafeInteger(parsed.revision) &&
      typeof parsed.digest === 'string'
    ) {
      return {
        revision: parsed.revision,
        digest: parsed.digest,
        ...(parsed.signed === true ? { signed: true } : {}),
        ...(typeof parsed.at === 'number' && Number.isFinite(parsed.at) ? { at: parsed.at } : {}),
      }
    }
  } catch {
    // unreadable: none
  }
  return undefined
}

/**
 * Fetches from mirrors and runs the acceptance pipeline. Holds per-URL validators and the highest
 * accepted revision; never holds timers. @internal
 */
export class ManifestLoader {
  readonly #env: Environment
  readonly #http: KyInstance
  readonly #settings: LoaderSettings
  readonly #validators = new Map<string, Validators>()
  #accepted: RevisionRecord | undefined

  constructor(env: Environment, http: KyInstance, settings: LoaderSettings) {
    this.#env = env
    this.#http = http
    this.#settings = settings
  }

  /** The highest accepted revision that still binds (memory or storage); see {@link recordBinds}. */
  get record(): RevisionRecord | undefined {
    const now = this.#env.clock.now()
    // Memory first: on equal revisions, what this client accepted wins over what another tab stored.
    const binding = [this.#accepted, readRecord(this.#env.storage, this.#settings.storageKey)].filter(
      (record): record is RevisionRecord => record !== undefined && recordBinds(record, now),
    )
    return binding.reduce<RevisionRecord | undefined>(
      (best, record) => (best === undefined || record.revision > best.revision ? record : best),
      undefined,
    )
  }

  /** Records that a server served `record`'s revision again, now. */
  #remember(record: RevisionRecord): void {
    this.#accepted = { ...record, at: this.#env.clock.now() }
    try {
      this.#env.storage.setItem(this.#settings.storageKey, JSON.stringify(this.#accepted))
    } catch (error) {
      this.#env.logger.warn('could not persist the accepted revision (storage full or blocked)', error)
    }
  }

  /**
   * One round over the mirrors. The first mirror that yields an acceptable manifest (or a 304 for the one
   * we hold) wins.
   * @throws {BlueGreenError} the first validation or security error met, else `DISCOVERY_UNAVAILABLE`
   */
  async load(signal: AbortSignal): Promise<LoadResult> {
    let firstSecurity: BlueGreenError | undefined
    let last: unknown
    for (const url of this.#settings.urls) {
      try {
        return await this.#loadOne(url, signal)
      } catch (error) {
        if (signal.aborted) {
          throw error
        }
        last = error
        this.#env.logger.warn(`mirror ${url} failed: ${(error as Error).message}`)
        if (
          !firstSecurity &&
          isBlueGreenError(error) &&
          (error.code.startsWith('MANIFEST_') || error.code === 'HOST_NOT_ALLOWED')
        ) {
          firstSecurity = error
        }
      }
    }
    if (firstSecurity) {
      throw firstSecurity
    }
    if (this.#settings.urls.length === 1 && isBlueGreenError(last, 'DISCOVERY_UNAVAILABLE')) {
      throw last
    }
    throw new BlueGreenError(
      'DISCOVERY_UNAVAILABLE',
      `No discovery URL answered with a usable manifest (${this.#settings.urls.join(', ')}): ${(last as Error)?.message ?? 'unknown error'}`,
      { cause: last },
    )
  }

  async #loadOne(url: string, signal: AbortSignal): Promise<LoadResult> {
    const known = this.#validators.get(url)
    const current = this.#accepted
    const headers: Record<string, string> = { accept: 'application/json' }
    // Send validators only for the body we currently hold; otherwise a 304 would confirm something else.
    if (known && current && known.digest === current.digest) {
      if (known.etag) {
        headers['if-none-match'] = known.etag
      }
      if (known.lastModified) {
        headers['if-modified-since'] = known.lastModified
      }
    }
    const response = await getLimited(this.#http, url, {
      what: 'the discovery manifest',
      unavailableCode: 'DISCOVERY_UNAVAILABLE',
      maxBytes: MAX_MANIFEST_BYTES,
      tooLarge,
      headers,
      signal,
    })
    if (response.status === 304) {
      if (headers['if-none-match'] === undefined && headers['if-modified-since'] === undefined) {
        throw new BlueGreenError(
          'DISCOVERY_UNAVAILABLE',
          `The discovery server at ${url} answered 304 to an unconditional request. Fix the server or its cache.`,
          { url, status: 304 },
        )
      }
      if (current) {
        this.#remember(current)
      }
      return { kind: 'not-modified', url }
    }
    if (response.status < 200 || response.status >= 300) {
      throw new BlueGreenError(
        'DISCOVERY_UNAVAILABLE',
        `GET ${url} answered HTTP ${response.status}; the discovery manifest could not be read. Check the URL and the server.`,
        { url, status: response.status },
      )
    }
    const accepted = await this.accept(response.body, mediaType(response.headers), url)
    const etag = response.headers.get('etag')
    const lastModified = response.headers.get('last-modified')
    this.#validators.set(url, {
      digest: accepted.digest,
      ...(etag ? { etag } : {}),
      ...(lastModified ? { lastModified } : {}),
    })
    return accepted
  }

  /**
   * The acceptance pipeline for one body. Exposed for inline manifests (`createClient({ manifest })`).
   * @throws {BlueGreenError} `MANIFEST_*`, `HOST_NOT_ALLOWED`
   */
  async accept(
    body: Uint8Array,
    contentType: string | undefined,
    url: string | undefined,
  ): Promise<Extract<LoadResult, { kind: 'accepted' }>> {
    const where = url ?? 'the inline manifest'
    if (contentType !== undefined && !isJsonMediaType(contentType)) {
      throw new BlueGreenError(
        'MANIFEST_INVALID',
        `${where} was served as "${contentType || 'no content type'}", not application/json${contentType === 'text/html' ? ' (an HTML page: a captive portal, an error page or a wrong URL?)' : ''}. Serve the manifest with Content-Type: application/json.`,
        { ...(url === undefined ? {} : { url }), path: '$' },
      )
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
    } catch (error) {
      throw new BlueGreenError(
        'MANIFEST_INVALID',
        `${where} is not valid JSON: ${(error as Error).message}.`,
        {
          ...(url === undefined ? {} : { url }),
          path: '$',
          cause: error,
        },
      )
    }
    let payload = body
    let signedBy: string[] = []
    if (isEnvelope(parsed)) {
      if (!this.#settings.verifier) {
        throw new BlueGreenError(
          'MANIFEST_SIGNATURE',
          `${where} is a signed envelope but no trustedKeys are configured, so nobody can check it. Pass trustedKeys to createClient.`,
          url === undefined ? {} : { url },
        )
      }
      const verifier = await this.#settings.verifier()
      const opened = await verifier.open(parsed, url)
      payload = opened.payload
      signedBy = opened.signedBy
      try {
        parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload))
      } catch (error) {
        throw new BlueGreenError('MANIFEST_INVALID', `The signed payload of ${where} is not valid JSON.`, {
          ...(url === undefined ? {} : { url }),
          path: '$.payload',
          cause: error,
        })
      }
    } else if (this.#settings.verifier) {
      throw new BlueGreenError(
        'MANIFEST_SIGNATURE',
        `${where} is not signed, but trustedKeys are configured: unsigned manifests are refused. Sign it with \`red5pro-bluegreen sign\`.`,
        url === undefined ? {} : { url },
      )
    }
    const manifest = validateManifest(parsed, {
      ...this.#settings.rules,
      now: this.#env.clock.now(),
      source: url,
    })
    const digest = await sha256Hex(payload)
    const record = this.record
    if (record && manifest.revision < record.revision) {
      throw new BlueGreenError(
        'MANIFEST_ROLLBACK',
        `${where} has revision ${manifest.revision}, lower than revision ${record.revision} already accepted; refusing a replayed or stale manifest. Operators: publish a higher revision (a rollback is a new revision).`,
        { revision: manifest.revision, ...(url === undefined ? {} : { url }) },
      )
    }
    if (record && manifest.revision === record.revision && digest !== record.digest) {
      throw new BlueGreenError(
        'MANIFEST_ROLLBACK',
        `${where} has revision ${manifest.revision}, already accepted with different content; every change must bump the revision.`,
        { revision: manifest.revision, ...(url === undefined ? {} : { url }) },
      )
    }
    // A verified envelope carries at least `threshold` (>= 1) signers.
    this.#remember({ revision: manifest.revision, digest, ...(signedBy.length > 0 ? { signed: true } : {}) })
    return { kind: 'accepted', manifest, digest, url: url ?? 'inline', signedBy }
  }
}
