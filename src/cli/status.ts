/**
 * `status`: what clients see right now. Reads the manifest from every discovery mirror, checks it as a
 * client would (signature, schema, rules), and asks each environment's Stream Manager whether it
 * answers and how fast.
 */
import { Option, type Command } from 'commander'
import ky from 'ky'

import { MAX_MANIFEST_BYTES, validateManifest } from '../discovery/manifest'
import { selectEnvironment } from '../discovery/select'
import { resolveEnvironment } from '../environment'
import { BlueGreenError, isBlueGreenError } from '../errors'
import { createHttp, getLimited, isJsonMediaType, mediaType } from '../internal/http'
import type { Manifest } from '../types'
import { CliError, ExitCode, exitCodeFor, oneLine } from './exit'
import { parseManifestDocument, readTrustedKeys } from './files'
import {
  checkSignature,
  checkThreshold,
  describeSignature,
  environmentTable,
  headerRows,
  summarize,
  type EnvironmentSummary,
  type SignatureInfo,
} from './inspect'
import { collect, collectUrl, durationOption, positiveIntOption, type CliContext } from './options'

interface StatusFlags {
  discovery: string[]
  key?: string[]
  threshold: number
  env?: string
  allowInsecure?: boolean
  json?: boolean
  timeout: number
}

/** What one discovery mirror gave. */
interface MirrorReport {
  url: string
  ok: boolean
  httpStatus?: number
  latencyMs?: number
  revision?: number
  error?: { code: string; message: string; path?: string }
  /** The exit code its failure maps to. */
  exitCode?: number
  manifest?: Manifest
  signature?: SignatureInfo
}

/** Whether a Stream Manager answered a GET of its base URL. */
interface ReachabilityReport {
  reachable: boolean
  latencyMs?: number
  httpStatus?: number
  error?: string
}

/** Adds `status` to `program`. */
export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show roles, states, revision, signature and Stream Manager health as clients see them')
    .requiredOption('--discovery <url>', 'the manifest URL; repeat for mirrors (tried in order)', collectUrl)
    .option('--key <pubkey>', 'a trusted public key (a .pub file, ID=KEY or base64); repeatable', collect)
    .option('--threshold <n>', 'valid signatures from distinct keys required', positiveIntOption, 1)
    .option('--env <name>', 'only this environment (a role or an environment name)')
    .option('--allow-insecure', 'accept http Stream Managers on non-loopback hosts')
    .addOption(
      new Option('--timeout <duration>', 'bound on each request')
        .argParser(durationOption)
        .default(10_000, '10s'),
    )
    .option('--json', 'print one JSON document')
    .action((flags: StatusFlags) => status(ctx, flags))
}

async function readMirror(
  ctx: CliContext,
  url: string,
  flags: StatusFlags,
  keys: Awaited<ReturnType<typeof readTrustedKeys>>,
): Promise<MirrorReport> {
  const env = resolveEnvironment({}, 'cli')
  const http = createHttp(env, {
    timeoutMs: flags.timeout,
    retries: 0,
    backoffBaseMs: 200,
    backoffCapMs: 1_000,
    maxRetryAfterMs: 1_000,
  })
  const started = performance.now()
  try {
    const response = await getLimited(http, url, {
      what: 'the discovery manifest',
      unavailableCode: 'DISCOVERY_UNAVAILABLE',
      maxBytes: MAX_MANIFEST_BYTES,
      tooLarge: (where, bytes) =>
        new BlueGreenError(
          'MANIFEST_TOO_LARGE',
          `The discovery manifest at ${where} is larger than ${MAX_MANIFEST_BYTES} bytes (${bytes} read); clients refuse it.`,
          { url: where },
        ),
      headers: { accept: 'application/json' },
    })
    const latencyMs = Math.round(performance.now() - started)
    const base = { url, httpStatus: response.status, latencyMs }
    if (response.status < 200 || response.status >= 300) {
      return failed(
        base,
        new BlueGreenError(
          'DISCOVERY_UNAVAILABLE',
          `GET ${url} answered HTTP ${response.status}; check the URL and the server.`,
          { url, status: response.status },
        ),
      )
    }
    const type = mediaType(response.headers)
    if (!isJsonMediaType(type)) {
      return failed(
        base,
        new BlueGreenError(
          'MANIFEST_INVALID',
          `${url} is served as "${type || 'no content type'}", not application/json, so clients refuse it; fix the Content-Type.`,
          { url, path: '$' },
        ),
      )
    }
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(response.body)
    } catch (error) {
      return failed(
        base,
        new BlueGreenError('MANIFEST_INVALID', `${url} is not UTF-8 text.`, { url, path: '$', cause: error }),
      )
    }
    const document = parseManifestDocument(text, url, ExitCode.checkFailed)
    const signature = await checkSignature(document, keys, flags.threshold, url)
    if (signature.status === 'invalid') {
      return {
        ...failed(base, new BlueGreenError('MANIFEST_SIGNATURE', signature.reason, { url })),
        signature,
      }
    }
    const manifest = validateManifest(document.manifest, {
      now: ctx.now(),
      allowInsecure: flags.allowInsecure ?? false,
      source: url,
    })
    return { ...base, ok: true, revision: manifest.revision, manifest, signature }
  } catch (error) {
    if (error instanceof CliError && error.exitCode === ExitCode.usage) {
      throw error
    }
    const latencyMs = Math.round(performance.now() - started)
    return failed({ url, latencyMs }, error)
  }
}

function failed(base: Omit<MirrorReport, 'ok'>, error: unknown): MirrorReport {
  const code = isBlueGreenError(error) ? error.code : error instanceof CliError ? 'MANIFEST_INVALID' : 'ERROR'
  const path = isBlueGreenError(error) ? error.path : undefined
  return {
    ...base,
    ok: false,
    error: { code, message: oneLine(error), ...(path === undefined ? {} : { path }) },
    exitCode: exitCodeFor(error),
  }
}

async function checkStreamManager(url: string, timeoutMs: number): Promise<ReachabilityReport> {
  const started = performance.now()
  try {
    const response = await ky.get(url, {
      timeout: timeoutMs,
      retry: 0,
      throwHttpErrors: false,
      redirect: 'manual',
    })
    const latencyMs = Math.round(performance.now() - started)
    await response.body?.cancel().catch(() => undefined)
    return { reachable: true, latencyMs, httpStatus: response.status }
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    const name = (error as Error).name
    return {
      reachable: false,
      error:
        name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? oneLine(error)),
    }
  }
}

async function status(ctx: CliContext, flags: StatusFlags): Promise<void> {
  const { out } = ctx
  const keys = await readTrustedKeys(flags.key ?? [])
  checkThreshold(keys, flags.threshold)
  const mirrors = await out.withSpinner('reading the discovery manifest', () =>
    Promise.all(flags.discovery.map((url) => readMirror(ctx, url, flags, keys))),
  )
  const chosen = mirrors.find((mirror) => mirror.ok)
  if (!chosen) {
    // As a client: the first validation or security problem wins over network failures.
    const refused = mirrors.find((mirror) => mirror.exitCode === ExitCode.checkFailed) ?? mirrors[0]!
    throw new CliError(
      refused.exitCode === ExitCode.checkFailed ? ExitCode.checkFailed : ExitCode.network,
      refused.error?.message ?? `${refused.url} gave no usable manifest.`,
    )
  }
  const manifest = chosen.manifest!
  let names = Object.keys(manifest.environments)
  let selected: string | undefined
  if (flags.env !== undefined) {
    selected = selectEnvironment(manifest, flags.env).name
    names = [selected]
  }
  const checks = await out.withSpinner('asking the Stream Managers', () =>
    Promise.all(
      names.map((name) => checkStreamManager(manifest.environments[name]!.streamManager, flags.timeout)),
    ),
  )
  const reachability = new Map(names.map((name, i) => [name, checks[i]!]))
  const now = ctx.now()
  if (flags.json) {
    const summary = summarize(manifest, names)
    const environments: Record<string, EnvironmentSummary & ReachabilityReport> = {}
    for (const name of names) {
      environments[name] = { ...summary.environments[name]!, ...reachability.get(name)! }
    }
    out.json({
      discovery: chosen.url,
      mirrors: mirrors.map(({ url, ok, httpStatus, latencyMs, revision, error }) => ({
        url,
        ok,
        ...(httpStatus === undefined ? {} : { httpStatus }),
        ...(latencyMs === undefined ? {} : { latencyMs }),
        ...(revision === undefined ? {} : { revision }),
        ...(error === undefined ? {} : { error }),
      })),
      ...summary,
      signature: chosen.signature,
      ...(selected === undefined ? {} : { selected }),
      environments,
    })
  } else {
    const { color } = out
    const mirrorRows = mirrors.map((mirror, i) => [
      i === 0 ? 'discovery' : '',
      mirror.url,
      mirror.ok
        ? color.dim(`HTTP ${mirror.httpStatus}, ${mirror.latencyMs} ms, revision ${mirror.revision}`)
        : color.red(
            `${mirror.error?.code ?? 'failed'}${mirror.httpStatus === undefined ? '' : ` (HTTP ${mirror.httpStatus})`}`,
          ),
    ])
    out.columns([
      ...mirrorRows,
      ...headerRows(manifest, now, color),
      ['signature', describeSignature(chosen.signature!, color)],
    ])
    out.print('')
    out.columns(
      environmentTable(manifest, names, now, color, {
        heading: 'ANSWERS',
        cell: (name) => {
          const check = reachability.get(name)!
          return check.reachable
            ? `${color.green('yes')} ${color.dim(`${check.latencyMs} ms, HTTP ${check.httpStatus}`)}`
            : `${color.red('no')} ${color.dim(check.error ?? '')}`
        },
      }),
    )
  }
  for (const mirror of mirrors.filter((m) => !m.ok)) {
    out.warn(`mirror ${mirror.url} failed: ${mirror.error?.message ?? 'no usable manifest'}`)
  }
  // Environments clients may be sent to must answer; an offline one is allowed to be gone.
  const down = names.filter(
    (name) => manifest.environments[name]!.state !== 'offline' && !reachability.get(name)!.reachable,
  )
  if (down.length > 0) {
    throw new CliError(
      ExitCode.network,
      `the Stream Manager of ${down.map((name) => `${name} (${manifest.environments[name]!.streamManager}: ${reachability.get(name)!.error})`).join(', ')} did not answer; check that it is up and reachable from here.`,
    )
  }
}
