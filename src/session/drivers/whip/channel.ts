/**
 * Red5's data channel messages a WHEP session listens to: the node's notice that the publisher went away
 * (`NetStream.Play.UnpublishNotify`), sent as a JSON status message.
 * @internal
 */

/** The status code of Red5's unpublish notice. @internal */
export const UNPUBLISH_CODE = 'NetStream.Play.UnpublishNotify'

/** Text of a data channel message (string, ArrayBuffer, Node Buffer or other view). @internal */
export function messageText(data: unknown): string | undefined {
  if (typeof data === 'string') {
    return data
  }
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    return new TextDecoder().decode(data)
  }
  return undefined
}

/** True when a Red5 data channel message says the publisher went away. @internal */
export function isUnpublishNotice(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { data?: { type?: unknown; code?: unknown; status?: unknown } }
    const data = parsed.data
    return (data?.type === 'status' && data.code === UNPUBLISH_CODE) || data?.status === UNPUBLISH_CODE
  } catch {
    return false
  }
}
