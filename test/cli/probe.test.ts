/**
 * `probe` and `dev` against the emulated cluster, through the built binary. A publisher in this test
 * process sends synthetic VP8 RTP with `whipDriver` over werift; the CLI probe subscribes in its own
 * process.
 */
import { spawn } from 'node:child_process'

import { MediaStream, MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createClient } from '../../src/client'
import { startEmulator } from '../../src/emulator'
import type { Emulator } from '../../src/emulator'
import { whipDriver } from '../../src/session/drivers/whip'
import type { DriverSession } from '../../src/session/drivers/Driver'
import { cli, ensureCliBuilt } from './helpers'

let emu: Emulator
let publisher: { session: DriverSession; stop(): Promise<void> } | undefined

/** Publishes `stream` on the environment holding `role`, sending one small RTP packet every 33 ms. */
async function publish(
  discovery: string,
  role: string,
  stream: string,
): Promise<{ session: DriverSession; stop(): Promise<void> }> {
  const client = createClient({ discovery, environment: role })
  const assignment = await client.resolve(stream, 'publish')
  const video = new MediaStreamTrack({ kind: 'video' })
  let sequenceNumber = 0
  const timer = setInterval(() => {
    sequenceNumber = (sequenceNumber + 1) & 0xffff
    const header = new RtpHeader({
      payloadType: 96,
      sequenceNumber,
      timestamp: sequenceNumber * 3000,
      marker: true,
      ssrc: 4242,
    })
    video.writeRtp(new RtpPacket(header, Buffer.from([0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a])))
  }, 33)
  const driver = whipDriver({
    RTCPeerConnection,
    rtcConfiguration: { iceAdditionalHostAddresses: ['127.0.0.1'] } as RTCConfiguration,
  })
  try {
    const session = await driver.publish(
      { ...assignment, kind: 'publish' },
      { mediaStream: new MediaStream([video]) as unknown as globalThis.MediaStream },
      AbortSignal.timeout(20_000),
    )
    return {
      session,
      stop: async () => {
        clearInterval(timer)
        await session.close()
        await client.close()
      },
    }
  } catch (error) {
    clearInterval(timer)
    await client.close()
    throw error
  }
}

beforeAll(async () => {
  await ensureCliBuilt()
  emu = await startEmulator({ port: 0, logger: false })
}, 120_000)
afterAll(async () => {
  await publisher?.stop()
  await emu?.close()
})

describe('probe', () => {
  it('reports time to first media and packets for a stream published on staging', async () => {
    publisher = await publish(emu.discoveryUrl, 'staging', 'qa-check')
    const result = await cli([
      'probe',
      'qa-check',
      '--discovery',
      emu.discoveryUrl,
      '--seconds',
      '2',
      '--json',
    ])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({
      ok: true,
      stream: 'qa-check',
      environment: 'blue',
      role: 'staging',
      seconds: 2,
    })
    expect(report.firstMediaMs).toEqual(expect.any(Number))
    expect(report.packets.video).toBeGreaterThan(0)
    expect(report.packets.total).toBe(report.packets.video + report.packets.audio)
  })

  it('prints the report for people too', async () => {
    publisher ??= await publish(emu.discoveryUrl, 'staging', 'qa-check')
    const result = await cli(['probe', 'qa-check', '--discovery', emu.discoveryUrl, '--seconds', '1'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/media flows: qa-check on blue \(staging, revision \d+\)/)
    expect(result.stdout).toMatch(/^\s+first media\s+\d+ ms/m)
    expect(result.stdout).toMatch(/^\s+packets\s+[1-9]\d* in 1s/m)
  })

  it('exits 1 when the stream does not exist there (production has no publisher)', async () => {
    const missing = await cli(['probe', 'qa-check', '--discovery', emu.discoveryUrl, '--env', 'production'])
    expect(missing.code).toBe(1)
    expect(missing.stdout).toBe('')
    expect(missing.stderr.trim().split('\n')).toHaveLength(1)
    expect(missing.stderr).toMatch(/no media: .*"qa-check" is not published on environment "green"/)

    const json = await cli(['probe', 'nobody', '--discovery', emu.discoveryUrl, '--json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      stream: 'nobody',
      error: { code: 'STREAM_NOT_FOUND' },
    })
  })
})

describe('dev', () => {
  it('starts the emulator (with the failover role asked for), prints the URLs, serves the manifest, and stops on Ctrl-C', async () => {
    const binary = await ensureCliBuilt()
    const child = spawn(process.execPath, [binary, 'dev', '--port', '0', '--failover', 'blue'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      let stdout = ''
      child.stdout.setEncoding('utf8')
      const discovery = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk
          const match = /discovery\s+(http:\/\/127\.0\.0\.1:\d+\/discovery\.json)/.exec(stdout)
          if (match && stdout.includes('Try:') && stdout.includes('/api/kill')) {
            resolve(match[1]!)
          }
        })
        void exited.then((code) => reject(new Error(`dev exited with ${code}: ${stdout}`)))
      })
      expect(stdout).toMatch(/demo\s+http:\/\/127\.0\.0\.1:\d+\//)
      expect(stdout).toMatch(/"mode":"silent"\}' http:\/\/127\.0\.0\.1:\d+\/api\/kill/)
      const status = await cli(['status', '--discovery', discovery, '--json'])
      expect(status.code).toBe(0)
      expect(JSON.parse(status.stdout)).toMatchObject({
        roles: { production: 'green', staging: 'blue', failover: 'blue' },
        environments: {
          green: { state: 'serving', reachable: true },
          blue: { state: 'serving', reachable: true },
        },
      })
      child.kill('SIGINT')
      expect(await exited).toBe(0)
      expect(stdout).toMatch(/stopped/)
    } finally {
      child.kill('SIGKILL')
    }
  }, 60_000)
})
