/**
 * `probe STREAM`: QA's smoke test before a promotion. Resolves STREAM on an environment (staging by
 * default) as a client would, subscribes from Node with `whipDriver` over werift (loaded only here),
 * and reports the time to the first media packet and the packets received over a few seconds. Exit 1
 * when no media flows.
 */
import { Option, type Command } from 'commander'

import { createClient } from '../client'
import { sleep, systemClock } from '../environment'
import { BlueGreenError, isBlueGreenError } from '../errors'
import { isLoopbackHost } from '../internal/hosts'
import type { WhipDriverSession } from '../session/drivers/whip/session'
import type { Assignment, EnvironmentInfo } from '../types'
import { checkFailed, oneLine } from './exit'
import { durationOption, type CliContext } from './options'
import { clientConfig, clientOptions, type ClientFlags } from './resolve'

interface ProbeFlags extends ClientFlags {
  seconds: number
}

/** What `probe --json` prints. */
interface ProbeReport {
  ok: boolean
  stream: string
  environment: string
  role: string | undefined
  revision: number
  endpoint: string
  serverAddress: string
  /** Discovery and the Stream Manager's assignment. */
  resolveMs: number
  /** From the first signalling request to the first media packet. */
  firstMediaMs?: number
  /** Length of the counting window, seconds. */
  seconds: number
  packets: { total: number; audio: number; video: number }
  packetsPerSecond: number
  /** Why the probe failed, when it did. */
  error?: { code: string; message: string }
}

/** The part of werift's `MediaStreamTrack` the probe reads. */
interface RtpSource {
  readonly kind: string
  readonly onReceiveRtp?: { subscribe(listener: () => void): { unSubscribe(): void } }
}

/** Adds `probe` to `program`. */
export function registerProbe(program: Command, ctx: CliContext): void {
  clientOptions(
    program
      .command('probe')
      .description(
        'subscribe to STREAM from Node and report time to first media and packets (exit 1: no media)',
      )
      .argument('<stream>', 'the stream name'),
    'staging',
  )
    .addOption(
      new Option('--seconds <duration>', 'how long to count packets once media flows (5, 10s, 1m)')
        .argParser(durationOption)
        .default(5_000, '5s'),
    )
    .action((stream: string, flags: ProbeFlags) => probe(ctx, stream, flags))
}

async function probe(ctx: CliContext, stream: string, flags: ProbeFlags): Promise<void> {
  const { out } = ctx
  const client = createClient(await clientConfig(flags, 'staging'))
  const spinner = out.spinner(`resolving ${stream}`)
  let session: WhipDriverSession | undefined
  let environment: EnvironmentInfo
  let assignment: Assignment
  const started = performance.now()
  try {
    try {
      environment = await client.ready()
      assignment = await client.resolve(stream, 'subscribe')
    } catch (error) {
      // Discovery or the Stream Manager unreachable stays a network failure (3); a stream that is not
      // there, or an environment that takes no sessions, is the check failing (1).
      if (isBlueGreenError(error, 'STREAM_NOT_FOUND', 'ENVIRONMENT_OFFLINE')) {
        if (flags.json) {
          ctx.out.json({
            ok: false,
            stream,
            environment: error.environment ?? flags.env ?? 'staging',
            error: { code: error.code, message: oneLine(error) },
          })
        }
        throw checkFailed(`no media: ${oneLine(error)}`, error)
      }
      throw error
    }
    const resolveMs = Math.round(performance.now() - started)
    const report: ProbeReport = {
      ok: false,
      stream,
      environment: assignment.environment,
      role: environment.role,
      revision: environment.revision,
      endpoint: assignment.endpoint,
      serverAddress: assignment.serverAddress,
      resolveMs,
      seconds: flags.seconds / 1000,
      packets: { total: 0, audio: 0, video: 0 },
      packetsPerSecond: 0,
    }
    spinner.update(`subscribing to ${stream} on ${assignment.environment}`)
    const [{ RTCPeerConnection }, { whipDriver }] = await Promise.all([
      import('werift').catch((cause: unknown) => {
        throw new BlueGreenError(
          'DRIVER_UNAVAILABLE',
          'probe needs werift (WebRTC for Node), an optional peer dependency: npm install --save-dev werift@0.24.4',
          { cause },
        )
      }),
      import('../session/drivers/whip'),
    ])
    const loopback = isLoopbackHost(new URL(assignment.endpoint).hostname)
    const driver = whipDriver({
      RTCPeerConnection,
      connectTimeoutMs: flags.timeout,
      // On a machine whose only network is loopback, werift needs the loopback address as a candidate.
      ...(loopback
        ? { rtcConfiguration: { iceAdditionalHostAddresses: ['127.0.0.1'] } as RTCConfiguration }
        : {}),
    })
    const signalling = performance.now()
    try {
      session = await driver.subscribe(
        {
          kind: 'subscribe',
          environment: assignment.environment,
          streamName: assignment.streamName,
          app: assignment.app,
          endpoint: assignment.endpoint,
          serverAddress: assignment.serverAddress,
        },
        {},
        AbortSignal.timeout(flags.timeout + 1_000),
      )
    } catch (error) {
      report.error = { code: isBlueGreenError(error) ? error.code : 'MEDIA_FAILED', message: oneLine(error) }
      finish(ctx, flags, report)
      throw checkFailed(`no media from ${stream} on ${assignment.environment}: ${oneLine(error)}`, error)
    }
    report.firstMediaMs = Math.round(performance.now() - signalling)
    spinner.update(`counting packets for ${report.seconds}s`)
    const ended = new AbortController()
    let endError: Error | undefined
    session.onEnd((error) => {
      endError = error ?? new Error('the session ended')
      ended.abort()
    })
    const subscriptions = (session.tracks as unknown as RtpSource[]).flatMap((track) => {
      const kind = track.kind === 'audio' ? 'audio' : 'video'
      const subscription = track.onReceiveRtp?.subscribe(() => {
        report.packets[kind]++
        report.packets.total++
      })
      return subscription ? [subscription] : []
    })
    const window = performance.now()
    // Listen for the whole window; an early end (media stopped, Ctrl-C) cuts it short.
    await sleep(systemClock(), flags.seconds, ended.signal).catch(() => undefined)
    const elapsed = (performance.now() - window) / 1000
    for (const subscription of subscriptions) {
      subscription.unSubscribe()
    }
    report.packetsPerSecond = elapsed > 0 ? Math.round(report.packets.total / elapsed) : 0
    if (endError !== undefined) {
      report.error = {
        code: 'MEDIA_FAILED',
        message: `media stopped after ${elapsed.toFixed(1)}s: ${oneLine(endError)}`,
      }
    } else if (report.packets.total === 0) {
      report.error = {
        code: 'MEDIA_FAILED',
        message: `no RTP packet arrived in ${report.seconds}s after the connection came up`,
      }
    }
    report.ok = report.error === undefined
    spinner.stop()
    finish(ctx, flags, report)
    if (!report.ok) {
      throw checkFailed(`no media from ${stream} on ${assignment.environment}: ${report.error!.message}`)
    }
  } finally {
    spinner.stop()
    await session?.close().catch(() => undefined)
    await client.close()
  }
}

function finish(ctx: CliContext, flags: ProbeFlags, report: ProbeReport): void {
  if (flags.json) {
    ctx.out.json(report)
    return
  }
  const { color } = ctx.out
  const where = `${report.environment} (${report.role ?? 'pinned'}, revision ${report.revision})`
  ctx.out.print(
    report.ok
      ? `${color.green('✔')} media flows: ${color.bold(report.stream)} on ${where}`
      : `${color.red('✘')} no media: ${color.bold(report.stream)} on ${where}`,
  )
  ctx.out.columns(
    [
      ['endpoint', color.dim(report.endpoint)],
      ['node', report.serverAddress],
      ['resolve', `${report.resolveMs} ms ${color.dim('(discovery + Stream Manager)')}`],
      [
        'first media',
        report.firstMediaMs === undefined
          ? color.red('none')
          : `${report.firstMediaMs} ms ${color.dim('after signalling started')}`,
      ],
      [
        'packets',
        `${report.packets.total} in ${report.seconds}s ${color.dim(`(video ${report.packets.video}, audio ${report.packets.audio}; ${report.packetsPerSecond}/s)`)}`,
      ],
    ],
    2,
  )
}
