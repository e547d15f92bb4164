/**
 * The baseline app: Red5's SDK used alone, as a Red5 app without this package uses it. A viewer asks
 * its Stream Manager 1.x for nothing and plays through the `live` webapp's WHEP proxy at a known address
 * (`{sm}/live/whep/endpoint/{stream}`, the proxy picks the node), into a <video> in the document
 * (`mediaElementId`), with the SDK's own defaults otherwise. Every SDK event and every presented frame
 * is recorded, so a bench can say when (if ever) the SDK itself noticed a dead environment and whether
 * the picture came back.
 */
import type { RecordedEvent } from './harness'

/** What the page knows about one SDK-alone viewer. */
export interface Red5AloneInfo {
  /** SDK events (`type` as the name, the event's `data` dropped: it holds DOM objects). */
  events: RecordedEvent[]
  /** Frame stamps (performance.now() timebase), as requestVideoFrameCallback presented them. */
  frames: number[]
}

interface SdkEvent {
  type: string
}
interface WhepClient {
  init(config: Record<string, unknown>): Promise<unknown>
  subscribe(): Promise<unknown>
  unsubscribe(): Promise<unknown>
  on(type: string, listener: (event: SdkEvent) => void): void
}
interface SdkModule {
  WHEPClient: new () => WhepClient
}

/** Viewers started with {@link red5AloneApi}'s `subscribe`, by id. */
export function red5AloneApi(loadSdk: () => Promise<unknown>) {
  const viewers = new Map<string, { client: WhepClient; info: Red5AloneInfo }>()
  return {
    /**
     * Plays `streamName` with the SDK alone through `streamManager`'s proxy; resolves once `subscribe()`
     * resolved (frames are then recorded until the page closes).
     */
    async red5AloneSubscribe(id: string, streamManager: string, streamName: string): Promise<void> {
      const module = (await loadSdk()) as SdkModule & { default?: SdkModule }
      const sdk = module.WHEPClient === undefined && module.default ? module.default : module
      const url = new URL(streamManager)
      const element = document.createElement('video')
      element.id = `red5-alone-${id}`
      element.autoplay = true
      element.muted = true
      element.playsInline = true
      element.width = 320
      element.height = 240
      document.body.append(element)
      const info: Red5AloneInfo = { events: [], frames: [] }
      const onFrame: VideoFrameRequestCallback = (_now, metadata) => {
        info.frames.push(metadata.presentationTime)
        element.requestVideoFrameCallback(onFrame)
      }
      element.requestVideoFrameCallback(onFrame)
      const client = new sdk.WHEPClient()
      client.on('*', (event) => info.events.push({ at: performance.now(), name: event.type, detail: null }))
      viewers.set(id, { client, info })
      await client.init({
        protocol: url.protocol === 'https:' ? 'wss' : 'ws',
        host: url.hostname,
        port: Number(url.port),
        app: 'live',
        streamName,
        mediaElementId: element.id,
        // Its own id per viewer (the SDK's default collides: knowledge/red5pro-wire.md).
        subscriptionId: `red5-alone-${id}-${Math.random().toString(36).slice(2)}`,
        requestId: `red5-alone-${id}-${Math.random().toString(36).slice(2)}`,
      })
      await client.subscribe()
    },

    /** What an SDK-alone viewer saw so far. */
    red5AloneInfo(id: string): Red5AloneInfo {
      const found = viewers.get(id)
      if (!found) {
        throw new Error(`no SDK-alone viewer ${id}`)
      }
      return found.info
    },

    /** Stops every SDK-alone viewer. */
    async red5AloneCloseAll(): Promise<void> {
      // At most a second: the SDK's DELETE to a silently killed environment is never answered, and the
      // SDK sets no timeout on it.
      const stopping = Promise.all(
        [...viewers.values()].map(({ client }) => client.unsubscribe().catch(() => undefined)),
      )
      viewers.clear()
      await Promise.race([stopping, new Promise((resolve) => setTimeout(resolve, 1000))])
    },
  }
}
