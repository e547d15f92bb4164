/**
 * Stream Manager assignments for both API generations (1.x REST API 4.0 and 2.0 `/as/v1`).
 *
 * Public through the client: `ResolveOptions` (and `validateStreamName`, which sessions use too).
 * `createAssigner`, `Assigner` and `AssignerSettings` are what the client wires; the generation
 * modules (`v1.ts`, `v2.ts`), the HTTP configuration and in-flight sharing stay internal.
 */
/** What the client wires (it takes the internal `Environment`). @internal */
export { createAssigner } from './assigner'
export type { Assigner, AssignerSettings, ResolveOptions } from './assigner'
export { validateStreamName, MAX_STREAM_NAME_LENGTH } from './streamName'
